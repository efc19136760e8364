"""The Log tab: the selected profile's daily log files from disk, by day, live while a run writes
them (from the window, the command line or a schedule alike), filtered by level and text; and this
window's own messages (every profile, as they happen), from ``LogBuffer``.

Files are read in a worker thread, newest part first (``gui.log_files``): a 50 MB log opens at once,
and "Show earlier lines" reads further back. Lines are shown in slices, so the window never waits.

``LogBuffer`` (``gui.log_buffer``) collects this window's records, masked as they arrive; the view
drains it on a timer on the GUI thread. File lines are masked with the same secrets when read.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QFont,
    QFontDatabase,
    QShowEvent,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from engine.core.logs import log_file_for
from engine.core.report import human_bytes
from gui import log_files
from gui.log_buffer import LogBuffer, install_log_buffer
from gui.log_files import Chunk, Record

__all__ = ["LogBuffer", "LogView", "install_log_buffer"]

MAX_LINES = 5000  # lines the view holds of this window's messages (the oldest drop off)
KEPT_RECORDS = 20000  # records kept for re-filtering
FILE_LINES = 100_000  # lines of a file the view holds (a tail, and what "Show earlier" added)
SLICE = 1000  # lines put on screen per turn of the event loop
WINDOW_SOURCE = "window"  # the day picker's entry for this window's own messages
LEVELS = (
    ("All messages", logging.DEBUG),
    ("Info and above", logging.INFO),
    ("Warnings and errors", logging.WARNING),
    ("Errors only", logging.ERROR),
)
_COLOURS = {logging.WARNING: "#b35c00", logging.ERROR: "#c62828", logging.CRITICAL: "#c62828"}


class LogView(QWidget):
    """Day picker, level, text filter and "Open log folder" over a read-only text view.

    With no profile (``set_folder(None)``) it shows this window's messages; with one, the profile's
    log of today, followed live, or of an earlier day.
    """

    lines_shown = Signal(int)

    def __init__(self, buffer: LogBuffer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buffer = buffer
        self.window_records: deque[Record] = deque(maxlen=KEPT_RECORDS)  # this window's messages
        self.history: deque[Record] = self.window_records  # what the chosen source holds
        self.folder: Path | None = None
        self.profile = ""
        self.path: Path | None = None  # the file shown (None: this window's messages)
        self.start = self.offset = self.size = 0  # bytes of the file read so far: start–offset
        self.generation = 0  # a read started for another file or profile is dropped
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="log-read")
        self.pending: list[tuple[Future[Chunk], int, Callable[[Chunk], None]]] = []
        self.queue: deque[Record] = deque()  # filtered lines waiting for their slice on screen
        self.day = QComboBox()
        self.day.setAccessibleName("Log day")
        self.day.setMinimumContentsLength(14)
        self.day.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
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
        self.about = QLabel()  # which file, how big, how much of it is shown
        self.about.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.earlier = QPushButton("Show &earlier lines")
        self.earlier.clicked.connect(self.show_earlier)
        self.earlier.hide()
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(MAX_LINES)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)  # no sideways scrolling
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setAccessibleName("Log")
        self.empty = QLabel()
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.text)
        self.stack.addWidget(self.empty)
        self._build_layout()
        self.day.currentIndexChanged.connect(self._day_chosen)
        self.level.currentIndexChanged.connect(self.refilter)
        self.filter.textChanged.connect(self.refilter)
        self.feeder = QTimer(self)  # puts queued lines on screen, a slice per turn
        self.feeder.setInterval(0)
        self.feeder.timeout.connect(self._feed)
        self.timer = QTimer(self)
        self.timer.setInterval(200)
        self.timer.timeout.connect(self.pull)
        self.timer.start()
        self.set_folder(None)

    def _build_layout(self) -> None:
        day_label = QLabel("&Day:")
        day_label.setBuddy(self.day)
        label = QLabel("&Show:")
        label.setBuddy(self.level)
        bar = QHBoxLayout()
        bar.addWidget(day_label)
        bar.addWidget(self.day, 1)
        bar.addWidget(label)
        bar.addWidget(self.level)
        bar.addWidget(self.filter, 1)
        under = QHBoxLayout()
        under.addWidget(self.about, 1)
        under.addWidget(self.earlier)
        under.addWidget(self.open_folder)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(under)
        layout.addWidget(self.stack, 1)

    # -- which log --------------------------------------------------------------------------------

    def set_folder(self, folder: Path | None, profile: str = "") -> None:
        """Show a profile's log folder (today's file first), or this window's messages (None)."""
        self.folder, self.profile = folder, profile
        self.open_folder.setEnabled(folder is not None)
        self.fill_days(keep=False)

    def fill_days(self, *, keep: bool = True) -> None:
        """The day picker: today, then each earlier day with a file, then this window's messages."""
        chosen = self.day.currentData() if keep else None
        blocked = self.day.blockSignals(True)
        self.day.clear()
        if self.folder is not None:
            today = date.today()
            days = {d.day: d for d in log_files.log_days(self.folder)}
            shown = today in days
            self.day.addItem(
                log_files.day_words(today, today, days[today].size if shown else None),
                str(log_file_for(self.folder, today)),
            )
            for day in sorted((d for d in days if d != today), reverse=True):
                self.day.addItem(log_files.day_words(day, today, days[day].size), str(days[day].path))
        self.day.addItem("This window's messages (every profile)", WINDOW_SOURCE)
        number = self.day.findData(chosen) if chosen is not None else -1
        self.day.setCurrentIndex(max(0, number))
        self.day.blockSignals(blocked)
        if not keep or number < 0:
            self._day_chosen()

    def show_window_messages(self) -> None:
        """Choose this window's own messages (every profile, as they happen) in the day picker."""
        self.day.setCurrentIndex(self.day.findData(WINDOW_SOURCE))

    def _day_chosen(self) -> None:
        data = self.day.currentData()
        self.generation += 1
        self.pending.clear()
        self.earlier.hide()
        if data == WINDOW_SOURCE or data is None:
            self.path = None
            self.history = self.window_records
            self.text.setMaximumBlockCount(MAX_LINES)
            self.about.setText("Messages of this window since it opened, from every profile.")
            self.stack.setCurrentWidget(self.text)
            self.refilter()
            return
        self.path = Path(str(data))
        self.history = deque(maxlen=FILE_LINES)
        self.text.setMaximumBlockCount(FILE_LINES)
        self.start = self.offset = self.size = 0
        self.about.setText(f"Reading {self.path.name}…")
        self.text.clear()
        self._in_background(
            lambda path=self.path: log_files.read_tail(path, self.buffer.secrets), self._loaded
        )

    @property
    def following(self) -> bool:
        """True while today's file is shown: lines a run adds appear as it writes them."""
        return (
            self.path is not None
            and self.folder is not None
            and self.path == log_file_for(self.folder, date.today())
        )

    # -- reading files (in the worker thread) -----------------------------------------------------

    def _in_background(self, work: Callable[[], Chunk], then: Callable[[Chunk], None]) -> None:
        self.pending.append((self.pool.submit(work), self.generation, then))

    def _take_results(self) -> None:
        waiting = []
        for future, generation, then in self.pending:
            if not future.done():
                waiting.append((future, generation, then))
            elif generation == self.generation and future.exception() is None:
                then(future.result())
        self.pending = [p for p in waiting if p[1] == self.generation]

    def _loaded(self, chunk: Chunk) -> None:
        self.start, self.offset, self.size = chunk.start, chunk.end, chunk.size
        if chunk.missing or (not chunk.records and chunk.size == 0):
            self._show_empty()
            return
        self.history.extend(chunk.records)
        self._describe()
        self.stack.setCurrentWidget(self.text)
        self.refilter()

    def _show_empty(self) -> None:
        assert self.path is not None
        folder = self.folder or self.path.parent
        self.empty.setText(log_files.empty_words(self.profile, folder, today=self.following))
        self.about.setText(f"{self.path.name}: not written yet")
        self.stack.setCurrentWidget(self.empty)

    def _describe(self) -> None:
        assert self.path is not None
        text = f"{self.path.name} · {human_bytes(self.size)}"
        if self.start > 0:
            text += f" · the newest {human_bytes(self.size - self.start)} shown"
        if self.following:
            text += " · live"
        self.about.setText(text)
        more = self.start > 0 and len(self.history) < FILE_LINES
        self.earlier.setVisible(more)

    def show_earlier(self) -> None:
        """Read the part of the file before what is shown."""
        path, start = self.path, self.start
        if path is None or start <= 0:
            return
        self.earlier.setEnabled(False)
        self._in_background(lambda: log_files.read_before(path, start, self.buffer.secrets), self._prepended)

    def _prepended(self, chunk: Chunk) -> None:
        self.earlier.setEnabled(True)
        self.history = deque([*chunk.records, *self.history], maxlen=FILE_LINES)
        self.start = chunk.start
        self._describe()
        self.refilter()

    def _follow(self) -> None:
        path = self.path
        if path is None or not self.following or self.pending:
            return
        try:
            size = path.stat().st_size
        except OSError:
            return
        if size < self.offset:  # a new file under the same name: read it again
            self._day_chosen()
        elif size > self.offset:
            offset = self.offset
            self._in_background(
                lambda: log_files.read_from(path, offset, self.buffer.secrets), self._followed
            )

    def _followed(self, chunk: Chunk) -> None:
        if chunk.start != self.offset:  # a flood: only its newest part was read
            self.history.clear()
            self.text.clear()
            self.queue.clear()
            self.start = chunk.start
        self.offset, self.size = chunk.end, chunk.size
        if not chunk.records:
            return
        self.history.extend(chunk.records)
        if self.stack.currentWidget() is not self.text:
            self.stack.setCurrentWidget(self.text)
        self._describe()
        self._queue([r for r in chunk.records if self._wanted(*r)])

    # -- this window's messages, and the screen ---------------------------------------------------

    def _open_folder(self) -> None:
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))

    def _wanted(self, level: int, text: str) -> bool:
        needle = self.filter.text().strip().casefold()
        return level >= int(self.level.currentData()) and (not needle or needle in text.casefold())

    def pull(self) -> None:
        """Take this window's new records (and the results of file reads, and a file's new lines)."""
        records = self.buffer.take()
        if records:
            self.window_records.extend(records)
            if self.path is None:
                shown = [r for r in records if self._wanted(*r)]
                self._queue(shown[-MAX_LINES:])
        if self.pending:
            self._take_results()
        self._follow()

    def refilter(self) -> None:
        self.text.clear()
        self.queue.clear()
        cap = MAX_LINES if self.path is None else FILE_LINES
        shown = [r for r in self.history if self._wanted(*r)]
        self._queue(shown[-cap:])

    def _queue(self, records: list[Record]) -> None:
        self.queue.extend(records)
        self._feed()

    def _feed(self) -> None:
        """Put the next slice of queued lines on screen; the rest wait for the next turn."""
        count = min(SLICE, len(self.queue))
        self._append([self.queue.popleft() for _ in range(count)])
        if self.queue and not self.feeder.isActive():
            self.feeder.start()
        elif not self.queue:
            self.feeder.stop()

    def _append(self, records: list[Record]) -> None:
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

    def wait_idle(self, timeout_s: float = 5.0) -> None:
        """Finish reading and showing (tests and screenshots)."""
        for future, _generation, _then in list(self.pending):
            future.result(timeout=timeout_s)
        self._take_results()
        while self.queue:
            self._feed()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.fill_days()  # a new day's file, or one a command-line run just wrote

    def closeEvent(self, event: Any) -> None:
        self.pool.shutdown(wait=False)
        super().closeEvent(event)
