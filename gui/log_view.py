"""The live log: engine records from any thread, shown by level and text, capped in size.

``LogBuffer`` is a logging.Handler that only appends to a deque (thread-safe); ``LogView`` drains
it on a timer on the GUI thread. The view keeps the newest records and re-filters from them.

A record is masked as it arrives, the way a run's log file is (``engine.tools.redact``): the
secret-looking values, and every secret the buffer was told (a run tells its profile's
``run_secrets`` before its first record). Nothing unmasked is ever kept, so none can be shown.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QFont, QFontDatabase, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.core.logs import LOGGER_NAME
from engine.tools.redact import redact

MAX_LINES = 5000  # lines the view holds (QPlainTextEdit drops the oldest beyond this)
KEPT_RECORDS = 20000  # records kept for re-filtering
LEVELS = (
    ("All messages", logging.DEBUG),
    ("Info and above", logging.INFO),
    ("Warnings and errors", logging.WARNING),
    ("Errors only", logging.ERROR),
)
_COLOURS = {logging.WARNING: "#b35c00", logging.ERROR: "#c62828", logging.CRITICAL: "#c62828"}


class LogBuffer(logging.Handler):
    """Collects formatted, masked records from any thread for the GUI to pick up."""

    def __init__(self, maxlen: int = KEPT_RECORDS) -> None:
        super().__init__(logging.DEBUG)
        self.records: deque[tuple[int, str]] = deque(maxlen=maxlen)
        self.secrets: tuple[str, ...] = ()
        self.setFormatter(logging.Formatter("%(asctime)s  %(levelname)-7s  %(message)s", "%H:%M:%S"))

    def learn(self, secrets: Iterable[str]) -> None:
        """Mask these exact strings too, from the next record on (safe from any thread)."""
        self.acquire()  # the handler's lock: two runs starting at once both get theirs in
        try:
            known = set(self.secrets) | {s for s in secrets if len(s) >= 3}
            self.secrets = tuple(sorted(known, key=len, reverse=True))
        finally:
            self.release()

    def emit(self, record: logging.LogRecord) -> None:
        try:  # the whole text: message and traceback, as the run's log file masks them
            self.records.append((record.levelno, redact(self.format(record), self.secrets)))
        except Exception:
            self.handleError(record)

    def take(self) -> list[tuple[int, str]]:
        records = self.records
        return [records.popleft() for _ in range(len(records))]


def install_log_buffer(level: int = logging.INFO) -> LogBuffer:
    """Attach a LogBuffer to the engine's logger (and make sure INFO records are produced)."""
    logger = logging.getLogger(LOGGER_NAME)
    if logger.level == logging.NOTSET or logger.level > level:
        logger.setLevel(level)
    buffer = LogBuffer()
    logger.addHandler(buffer)
    return buffer


class LogView(QWidget):
    """Toolbar (level, text filter, open folder) over a read-only, capped text view."""

    lines_shown = Signal(int)

    def __init__(self, buffer: LogBuffer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buffer = buffer
        self.history: deque[tuple[int, str]] = deque(maxlen=KEPT_RECORDS)
        self.folder: Path | None = None
        self.level = QComboBox()
        for label, value in LEVELS:
            self.level.addItem(label, value)
        self.level.setCurrentIndex(1)
        self.level.setAccessibleName("Log level")
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter text…")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Filter log text")
        self.open_folder = QPushButton("Open log folder")
        self.open_folder.clicked.connect(self._open_folder)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(MAX_LINES)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setAccessibleName("Log")
        label = QLabel("&Show:")
        label.setBuddy(self.level)
        bar = QHBoxLayout()
        bar.addWidget(label)
        bar.addWidget(self.level)
        bar.addWidget(self.filter, 1)
        bar.addWidget(self.open_folder)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.text, 1)
        self.level.currentIndexChanged.connect(self.refilter)
        self.filter.textChanged.connect(self.refilter)
        self.timer = QTimer(self)
        self.timer.setInterval(200)
        self.timer.timeout.connect(self.pull)
        self.timer.start()

    def set_folder(self, folder: Path | None) -> None:
        self.folder = folder
        self.open_folder.setEnabled(folder is not None)

    def _open_folder(self) -> None:
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))

    def _wanted(self, level: int, text: str) -> bool:
        needle = self.filter.text().strip().casefold()
        return level >= int(self.level.currentData()) and (not needle or needle in text.casefold())

    def pull(self) -> None:
        """Show the records logged since the last call (only the newest MAX_LINES of a flood)."""
        records = self.buffer.take()
        if not records:
            return
        self.history.extend(records)
        shown = [r for r in records if self._wanted(*r)]
        self._append(shown[-MAX_LINES:])

    def refilter(self) -> None:
        self.text.clear()
        shown = [r for r in self.history if self._wanted(*r)]
        self._append(shown[-MAX_LINES:])

    def _append(self, records: list[tuple[int, str]]) -> None:
        if not records:
            return
        bar = self.text.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 2
        cursor = QTextCursor(self.text.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.beginEditBlock()
        plain = QTextCharFormat()
        first = self.text.document().isEmpty()
        for level, line in records:
            fmt = plain
            colour = _COLOURS.get(level)
            if colour:
                fmt = QTextCharFormat()
                fmt.setForeground(QColor(colour))
                if level >= logging.ERROR:
                    fmt.setFontWeight(QFont.Weight.Bold)
            if not first:
                cursor.insertBlock()
            first = False
            cursor.insertText(line, fmt)
        cursor.endEditBlock()
        if at_end:
            bar.setValue(bar.maximum())
        self.lines_shown.emit(self.text.blockCount())

    def plain_text(self) -> str:
        return self.text.toPlainText()
