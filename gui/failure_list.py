"""The failures of a run, readable at any window width: a table whose Reason column wraps (no
horizontal scroll bar), and a detail pane below it with the selected failure's whole path and reason.

Used by the report (``gui.report_view``); the first failure is shown in the pane without a click.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QPlainTextEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.core.report import ItemResult
from gui.icons import state_icon
from gui.row_table import Index, RowTable

PATH, ACTION, RESULT, REASON = range(4)
WRAP_LIMIT = 300  # rows measured for wrapping; beyond, rows stay one line (the pane shows all)


class FailureModel(RowTable):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(("Path", "Action", "Result", "Reason"), parent)
        self.rows: list[ItemResult] = []

    def set_items(self, items: list[ItemResult]) -> None:
        self.set_rows(items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return (item.path, item.action, item.status, item.message)[index.column()]
        if role == Qt.ItemDataRole.DecorationRole and index.column() == RESULT:
            return state_icon(item.status)
        return None


def describe_failure(item: ItemResult) -> str:
    """The whole story of one failure, as the detail pane shows it."""
    what = f"{item.action} · {item.status}" if item.action else item.status
    return f"{item.path}\n{what}\nReason: {item.message or '(none given)'}"


class FailureTable(QTableView):
    """Path (elided in the middle), Action, Result, and a Reason that wraps to the view's width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Failures")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.verticalHeader().hide()
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        header = self.horizontalHeader()
        header.setMinimumSectionSize(40)
        header.setStretchLastSection(True)
        self._rows_timer = QTimer(self)
        self._rows_timer.setSingleShot(True)
        self._rows_timer.setInterval(0)
        self._rows_timer.timeout.connect(self._fit_rows)
        header.sectionResized.connect(lambda *_: self._rows_timer.start())  # a wrapped Reason re-measured

    def setModel(self, model: Any) -> None:
        super().setModel(model)
        header = self.horizontalHeader()
        header.setSectionResizeMode(PATH, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(ACTION, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(RESULT, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(REASON, QHeaderView.ResizeMode.Stretch)
        model.modelReset.connect(self.fit)

    def fit(self) -> None:
        """Path takes about a third of the width, Reason the rest (wrapped); nothing scrolls sideways."""
        width = self.viewport().width()
        self.horizontalHeader().resizeSection(PATH, max(120, int(width * 0.34)))
        self._rows_timer.start()

    def _fit_rows(self) -> None:
        model = self.model()
        if model is not None and model.rowCount() <= WRAP_LIMIT:
            self.resizeRowsToContents()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.fit()


class FailureList(QWidget):
    """The table over a read-only pane with the selected failure in full (selectable, copyable)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = FailureModel(self)
        self.table = FailureTable()
        self.table.setModel(self.model)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setAccessibleName("Failure detail")
        self.detail.setPlaceholderText("Choose a failure to read its whole reason here.")
        self.detail.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.detail.setMaximumHeight(110)
        self.table.selectionModel().currentRowChanged.connect(self._show_current)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

    def set_items(self, items: list[ItemResult]) -> None:
        self.model.set_items(items)
        self.detail.clear()
        if items:  # the first failure is read without a click
            self.table.setCurrentIndex(self.model.index(0, 0))

    def _show_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid() and current.row() < len(self.model.rows):
            self.detail.setPlainText(describe_failure(self.model.rows[current.row()]))
        else:
            self.detail.clear()

    def detail_text(self) -> str:
        return self.detail.toPlainText()
