"""The History tab: a table of the selected profile's runs from the state database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.core.errors import ProfileError
from engine.core.folders import Folders
from engine.core.profiles import Profile, profile_path, read_profile
from engine.core.report import human_bytes
from engine.core.state import RunRow, StateDB
from gui.history_chart import HistoryChart
from gui.icons import state_icon
from gui.profile_list import STATUS_WORDS
from gui.row_table import Index, RowTable
from gui.when import describe, describe_eta, parse_stamp

COLUMNS = ("Started", "Duration", "Result", "Run", "Trigger", "Done", "Skipped", "Failed", "Size", "Reason")
_NUMERIC = {1, 5, 6, 7, 8}
MARKS = {"interrupted": "warning"}


class HistoryModel(RowTable):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(COLUMNS, parent)
        self.rows: list[RunRow] = []
        self.now = datetime.now().astimezone()

    def set_runs(self, runs: list[RunRow]) -> None:
        self.now = datetime.now().astimezone()
        self.set_rows(runs)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        run = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(run, column)
        if role == Qt.ItemDataRole.DecorationRole and column == 2:
            return state_icon(MARKS.get(run.status, run.status))
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [f"{f['status']} {f['action']} {f['path']}: {f['message']}" for f in run.failures[:20]]
            return "\n".join(([run.reason] if run.reason else []) + lines) or None
        return None

    def _text(self, run: RunRow, column: int) -> str:
        started, finished = parse_stamp(run.started), parse_stamp(run.finished)
        if column == 0:
            return describe(started, self.now)
        if column == 1:
            if started is None or finished is None:
                return ""
            return describe_eta((finished - started).total_seconds())
        if column == 2:
            return STATUS_WORDS.get(run.status, run.status)
        if column == 3:
            return run.run_kind  # backup | verify
        if column == 4:
            return run.trigger
        if column in (5, 6, 7):
            return f"{(run.done, run.skipped, run.failed)[column - 5]:,}"
        if column == 8:
            return human_bytes(run.bytes)
        if run.reason:
            return run.reason.splitlines()[0]
        first = run.failures[0] if run.failures else None  # a failed run says why: its first failure
        return f"{first['path']}: {first['message']}" if first else ""


class HistoryView(QWidget):
    def __init__(self, folders: Folders, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folders = folders
        self.model = HistoryModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        reason = len(COLUMNS) - 1  # why a run failed comes right after its result, never off-screen
        header.moveSection(header.visualIndex(reason), 3)
        header.setSectionResizeMode(reason, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(reason, 240)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)  # the whole reason is in the tooltip
        self.table.setAccessibleName("Run history")
        self.empty = QLabel("No runs yet.")
        self.chart = HistoryChart()
        self.profile: Profile | None = None
        self.restore_button = QPushButton("&Restore files…")
        self.restore_button.setToolTip("Browse older copies kept by past runs and get one back")
        self.restore_button.clicked.connect(self.open_restore)
        top = QHBoxLayout()
        top.addWidget(self.empty, 1)
        top.addWidget(self.restore_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.chart)
        layout.addWidget(self.table, 1)

    def open_restore(self) -> QWidget | None:
        """The restore dialog for the shown profile (returned so tests can drive it)."""
        from gui.restore_dialog import RestoreDialog

        if self.profile is None:
            return None
        dialog = RestoreDialog(self.profile, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_profile(self, name: str | None) -> None:
        self.profile = None
        if name:
            try:
                self.profile = read_profile(profile_path(self.folders, name))
            except ProfileError:
                pass
        self.restore_button.setEnabled(self.profile is not None)
        self.restore_button.setText(
            "&Open exports…"
            if self.profile is not None and self.profile.kind == "revit"
            else "&Restore files…"
        )
        runs: list[RunRow] = []
        if name and self.folders.state_db.exists():
            db = StateDB(self.folders.state_db)
            try:
                runs = db.runs(name, limit=500)
            finally:
                db.close()
        self.model.set_runs(runs)
        self.chart.set_runs(runs)
        self.empty.setText(
            f"{len(runs)} run{'s' if len(runs) != 1 else ''}, newest first. Hover a run to see its failures."
            if runs
            else "No runs yet."
        )
