"""The Progress tab's tree view: its columns fit the width it has, so the name and the details stay
readable at 800 px and nothing important sits behind a horizontal scroll bar."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHeaderView, QTreeView, QWidget

from gui.progress_model import ACTION, NAME, PROGRESS, SIZE, STATE

WIDTHS = {ACTION: 56, STATE: 110, SIZE: 64, PROGRESS: 64}  # the Details column takes the rest


class ProgressTreeView(QTreeView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setAccessibleName("Items")
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a long path keeps its file name
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # Details fits the rest

    def fit_columns(self) -> None:
        """Name about a third of the width, the small columns as needed, Details the rest."""
        header = self.header()
        if header.count() == 0:
            return
        header.setStretchLastSection(True)
        header.setMinimumSectionSize(48)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in WIDTHS.items():
            header.resizeSection(column, width)
        header.resizeSection(NAME, max(140, int(self.viewport().width() * 0.32)))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.fit_columns()
