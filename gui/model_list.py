"""A Revit preview as a person reads it: every model of the table in one flat, sortable list —
its path as the table gives it, last edit, whether that is inside the window, what the run would do,
and why — with every reason on screen (wrapped, no sideways scrolling, no click needed).

The rows come from the plan's actions (exported) and notes (left alone), with the facts the
planner put in their ``detail`` (``last_edit``, ``in_window``, ``status``, ``reason``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from engine.core.plan import Action, Plan
from gui.icons import state_icon
from gui.row_table import Index, RowTable

COLUMNS = ("Model", "Last edit", "In window", "Status", "Reason")
MODEL, LAST_EDIT, IN_WINDOW, STATUS, REASON = range(len(COLUMNS))
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_WORDS = {"planned": "will export", "skipped": "skipped", "failed": "failed", "refused": "refused"}
MARKS = {"planned": "planned", "skipped": "skipped", "failed": "failed", "refused": "refused"}


class ModelRow:
    __slots__ = ("in_window", "last_edit", "path", "reason", "row", "status")

    def __init__(self, action: Action, status: str) -> None:
        detail = dict(action.detail)
        self.path = action.path
        self.row = int(detail.get("row") or 0)
        self.status = str(detail.get("status") or status)
        self.reason = str(detail.get("reason") or "")
        warning = detail.get("warning")
        if warning:
            self.reason += f" (warning: {warning})"
        self.in_window: bool | None = detail.get("in_window")
        self.last_edit: datetime | None = _when(detail.get("last_edit"))


def _when(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return None


def _short(when: datetime) -> str:
    """``28 Nov 14:05`` this year, ``2019-03-02`` before: narrow, so the reasons keep the room."""
    return f"{when.day} {when:%b %H:%M}" if when.year == datetime.now().year else f"{when:%Y-%m-%d}"


def model_rows(plan: Plan) -> list[ModelRow]:
    """One row per table row, in table order."""
    rows = [ModelRow(a, "planned") for a in plan.actions] + [ModelRow(n, "skipped") for n in plan.notes]
    return sorted(rows, key=lambda r: r.row)


class ModelTable(RowTable):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(COLUMNS, parent)
        self.rows: list[ModelRow] = []

    def set_plan(self, plan: Plan) -> None:
        self.set_rows(model_rows(plan))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.text(row, column)
        if role == SORT_ROLE:
            return self.sort_key(row, column)
        if role == Qt.ItemDataRole.DecorationRole and column == STATUS:
            return state_icon(MARKS.get(row.status, "warning"))
        return None

    @staticmethod
    def text(row: ModelRow, column: int) -> str:
        if column == MODEL:
            return row.path
        if column == LAST_EDIT:
            return _short(row.last_edit) if row.last_edit else "unknown"
        if column == IN_WINDOW:
            return {True: "yes", False: "no"}.get(row.in_window, "—")  # type: ignore[arg-type]
        if column == STATUS:
            return STATUS_WORDS.get(row.status, row.status)
        return row.reason

    @staticmethod
    def sort_key(row: ModelRow, column: int) -> Any:
        if column == LAST_EDIT:
            return row.last_edit.isoformat() if row.last_edit else ""
        if column == IN_WINDOW:
            return {True: 2, False: 1}.get(row.in_window, 0)  # type: ignore[arg-type]
        if column == MODEL:
            return row.path.casefold()
        return ModelTable.text(row, column).casefold()


class ModelList(QTableView):
    """The sortable table (click a heading); the Reason column takes the room left and wraps."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = ModelTable(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.table)
        self.proxy.setSortRole(SORT_ROLE)
        self.setModel(self.proxy)
        self.setAccessibleName("Models")
        self.setSortingEnabled(True)
        self.sortByColumn(MODEL, Qt.SortOrder.AscendingOrder)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.verticalHeader().hide()
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        header = self.horizontalHeader()
        header.setMinimumSectionSize(40)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(REASON, QHeaderView.ResizeMode.Stretch)
        metrics = self.fontMetrics()
        widest = ((LAST_EDIT, "28 Sep 00:00", 18), (IN_WINDOW, "In window", 18), (STATUS, "will export", 36))
        for column, text, room in widest:  # just wide enough: the reasons keep the rest
            header.resizeSection(column, metrics.horizontalAdvance(text) + room)
        self._rows_timer = QTimer(self)
        self._rows_timer.setSingleShot(True)
        self._rows_timer.setInterval(0)
        self._rows_timer.timeout.connect(self.resizeRowsToContents)
        header.sectionResized.connect(lambda *_: self._rows_timer.start())

    def set_plan(self, plan: Plan) -> None:
        self.table.set_plan(plan)
        self.fit()

    def fit(self) -> None:
        self.horizontalHeader().resizeSection(MODEL, max(130, int(self.viewport().width() * 0.26)))
        self._rows_timer.start()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.fit()

    def shown_rows(self) -> list[list[str]]:
        """The rows as they are on screen, in the order shown (tests, screen readers)."""
        model = self.model()
        return [[model.index(r, c).data() for c in range(len(COLUMNS))] for r in range(model.rowCount())]
