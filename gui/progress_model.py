"""The progress/preview tree as a Qt model, fed by batches of engine events.

Children are lazy: a folder tells the view about its items only once the view asks (the user
expands it), so 100,000 items arriving during a run cost a few signals per batch, not one per
file. Each batch ends with ``publish()``: row inserts for folders the view has open, and one
``dataChanged`` per parent for the rows whose values moved.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

from engine.core.events import Event, ItemFinished, ItemProgress, ItemStarted
from engine.core.report import human_bytes
from gui.icons import state_icon
from gui.progress_tree import DONE, PLANNED, RUNNING, STATE_WORDS, URGENCY, Node, ProgressTree, TreeReady

COLUMNS = ("Name", "Action", "State", "Size", "Progress", "Details")
NAME, ACTION, STATE, SIZE, PROGRESS, DETAILS = range(len(COLUMNS))
PERCENT_ROLE = Qt.ItemDataRole.UserRole + 1  # 0–100, or -1 when there is nothing to measure
_ALIGN_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
ALIGN_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
ALIGNMENT = {SIZE: _ALIGN_RIGHT, PROGRESS: _ALIGN_RIGHT}
Index = QModelIndex | QPersistentModelIndex


def folder_summary(node: Node) -> str:
    """``12 done · 1 failed · 3 planned`` for a folder."""
    counts = node.counts or [0] * len(STATE_WORDS)
    parts = [f"{counts[state]} {STATE_WORDS[state]}" for state in URGENCY if counts[state]]
    return " · ".join(parts)


def percent(node: Node) -> int:
    """0–100 for a row's bar, or -1 for no bar (nothing to measure, or nothing left to come)."""
    if node.counts is not None and node.children:
        pending = node.counts[PLANNED] + node.counts[RUNNING]
        if not pending or not node.total:  # only folders with work still to come get a bar
            return -1
        return min(99, node.done * 100 // node.total)
    if node.state == DONE:
        return 100
    if node.state == RUNNING and node.bytes_total:
        return min(99, node.bytes_done * 100 // node.bytes_total)
    return -1


class ProgressModel(QAbstractItemModel):
    """A QAbstractItemModel over a ProgressTree."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.tree = ProgressTree()
        style = QApplication.style()
        self._dir_icon = style.standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        self._file_icon = style.standardIcon(QStyle.StandardPixmap.SP_FileIcon)

    # -- feeding ----------------------------------------------------------------------------------

    def reset(self, tree: ProgressTree | None = None) -> None:
        """Show another tree (a preview built in the worker) or a fresh empty one."""
        self.beginResetModel()
        self.tree = tree or ProgressTree()
        self.tree.take_changes()
        self.endResetModel()

    def apply(self, events: Iterable[Event]) -> None:
        """Update the tree from a batch of engine events, then tell the views once."""
        tree = self.tree
        for event in events:
            if isinstance(event, ItemFinished):
                tree.finished(event.path, event.action, event.status, event.bytes, event.message)
            elif isinstance(event, ItemProgress):
                tree.progressed(event.path, event.bytes_done, event.bytes_total)
            elif isinstance(event, ItemStarted):
                tree.started(event.path, event.action, event.bytes)
            elif isinstance(event, TreeReady):  # the run's plan: everything it will do, by name
                self.reset(event.tree)
                tree = self.tree
        self.publish()

    def publish(self) -> None:
        touched, grown = self.tree.take_changes()
        shown: dict[int, bool] = {id(self.tree.root): True}
        for node in sorted(grown, key=_depth):
            if not self._is_shown(node, shown):
                continue
            wanted = len(node.children) if node.open else min(1, len(node.children))
            if wanted > node.fetched:
                self._expose(node, wanted)
        by_parent: dict[int, tuple[Node, int, int]] = {}
        for node in touched:
            parent = node.parent
            if parent is None or not self._is_shown(node, shown):
                continue
            low, high = by_parent.get(id(parent), (parent, node.row, node.row))[1:]
            by_parent[id(parent)] = (parent, min(low, node.row), max(high, node.row))
        for parent, low, high in by_parent.values():
            parent_index = self._index_of(parent)
            self.dataChanged.emit(
                self.index(low, 0, parent_index), self.index(high, len(COLUMNS) - 1, parent_index)
            )

    def _is_shown(self, node: Node, memo: dict[int, bool]) -> bool:
        """True when the view knows this node's row (all its ancestors have exposed it)."""
        key = id(node)
        known = memo.get(key)
        if known is not None:
            return known
        parent = node.parent
        shown = parent is not None and node.row < parent.fetched and self._is_shown(parent, memo)
        memo[key] = shown
        return shown

    def _expose(self, node: Node, count: int) -> None:
        self.beginInsertRows(self._index_of(node), node.fetched, count - 1)
        node.fetched = count
        self.endInsertRows()

    def _index_of(self, node: Node) -> QModelIndex:
        if node.parent is None:
            return QModelIndex()
        return self.createIndex(node.row, 0, node)

    def node_at(self, index: Index) -> Node:
        return index.internalPointer() if index.isValid() else self.tree.root  # type: ignore[no-any-return]

    # -- QAbstractItemModel -----------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        node = self.node_at(parent)
        if parent.isValid() and parent.column() != 0:
            return QModelIndex()
        if 0 <= row < node.fetched and 0 <= column < len(COLUMNS):
            return self.createIndex(row, column, node.children[row])
        return QModelIndex()

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        return self._index_of(self.node_at(index).parent or self.tree.root)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return self.node_at(parent).fetched

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return False
        return bool(self.node_at(parent).children)

    def canFetchMore(self, parent: Index) -> bool:
        node = self.node_at(parent)
        return len(node.children) > node.fetched

    def fetchMore(self, parent: Index) -> None:
        node = self.node_at(parent)
        node.open = True
        if len(node.children) > node.fetched:
            self._expose(node, len(node.children))

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole:
            return _ALIGN_RIGHT if section == SIZE else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node: Node = index.internalPointer()
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(node, column)
        if role == Qt.ItemDataRole.DecorationRole:
            return self.icon(node, column)
        if role == PERCENT_ROLE:
            return percent(node)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (SIZE, PROGRESS):
            return _ALIGN_RIGHT
        if role == Qt.ItemDataRole.ToolTipRole:
            text = node.path
            if node.message or node.detail:
                text += "\n" + "\n".join(t for t in (node.message, node.detail) if t)
            return text
        return None

    def icon(self, node: Node, column: int) -> QIcon | None:
        """The icon of a cell: folder or file by the name, the state's mark by the state."""
        if column == NAME:
            return self._dir_icon if node.is_dir or node.children else self._file_icon
        if column == STATE:
            mark = node.mark()
            return state_icon(STATE_WORDS[mark]) if mark is not None else None
        return None

    def text(self, node: Node, column: int) -> str:
        """The text of a cell (the delegate paints it without asking ``data`` role by role)."""
        if column == NAME:
            return node.name
        if column == ACTION:
            return node.action
        if column == STATE:
            if node.children:
                return folder_summary(node)
            return STATE_WORDS[node.state] if node.state is not None else ""
        if column == SIZE:
            size = node.total if node.children else node.bytes_total
            return human_bytes(size) if size or (node.state is not None and not node.is_dir) else ""
        if column == PROGRESS:
            value = percent(node)
            return f"{value} %" if value >= 0 else ""
        if column == DETAILS:
            return " — ".join(t for t in (node.message, node.detail) if t)
        return ""


def _depth(node: Node) -> int:
    depth = 0
    walker = node.parent
    while walker is not None:
        depth += 1
        walker = walker.parent
    return depth
