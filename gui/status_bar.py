"""The window's status bar: a message never runs into the counters on its right.

``showMessage`` elides a message to the room the permanent widgets leave (the whole text is in the
tooltip), so "Saved profile … to /a/long/path" and "2 profiles · 1 scheduled" never overlap.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStatusBar, QWidget

GAP = 24  # pixels between a message and the counters


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.permanent: list[QWidget] = []
        self.full_message = ""

    def addPermanentWidget(self, widget: QWidget, stretch: int = 0) -> None:
        self.permanent.append(widget)
        super().addPermanentWidget(widget, stretch)

    def room(self) -> int:
        """The width a message may take: the bar less its permanent widgets and a gap."""
        taken = sum(w.sizeHint().width() for w in self.permanent if w.isVisible())
        return max(80, self.width() - taken - GAP)

    def showMessage(self, text: str, timeout: int = 0) -> None:
        self.full_message = text
        shown = self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, self.room())
        self.setToolTip(text if shown != text else "")
        super().showMessage(shown, timeout)
