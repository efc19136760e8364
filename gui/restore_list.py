"""What the restore dialog (``gui.restore_dialog``) shows of runs and kept files, as words."""

from __future__ import annotations

from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem

from engine.core.report import human_bytes
from engine.core.restore import RestorePoint

HAPPENED_WORDS = {"replaced": "replaced", "deleted": "deleted"}
HAPPENED_TIPS = {
    "replaced": "The run replaced this file: a newer copy is in the source now",
    "deleted": "The run deleted this file: the source has none now",
}


def run_words(point: RestorePoint, kind: str) -> str:
    """``Sun 29 Nov 2026 21:48:05 · 2 files`` (to the second: two runs never look alike)."""
    count = point.files
    if kind == "revit":
        return f"{point.run:%a %d %b %Y} — {count:,} model{'s' if count != 1 else ''}"
    return f"{point.run.astimezone():%a %d %b %Y %H:%M:%S} · {count:,} file{'s' if count != 1 else ''}"


def run_tip(point: RestorePoint) -> str:
    return (
        f"{point.files:,} file(s), {human_bytes(point.bytes)}, kept by the run of {point.run.astimezone():%c}"
    )


def all_items(tree: QTreeWidget) -> list[QTreeWidgetItem]:
    found: list[QTreeWidgetItem] = []
    stack = [tree.topLevelItem(n) for n in range(tree.topLevelItemCount())]
    while stack:
        item = stack.pop()
        found.append(item)
        stack.extend(item.child(n) for n in range(item.childCount()))
    return found


def filter_tree(tree: QTreeWidget, text: str, column: int = 0) -> None:
    """Show the entries whose name holds ``text`` (any case), and the folders leading to them."""
    needle = text.strip().casefold()

    def show(item: QTreeWidgetItem) -> bool:
        below = [show(item.child(n)) for n in range(item.childCount())]
        visible = not needle or needle in item.text(column).casefold() or any(below)
        item.setHidden(not visible)
        return visible

    for number in range(tree.topLevelItemCount()):
        show(tree.topLevelItem(number))
