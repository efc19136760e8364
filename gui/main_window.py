"""The main window: profiles on the left; header and Progress / Settings / History / Log on the right.

This module is the window's shell and panels: building them, the profile list and what the right
side shows of the chosen profile, the dialogs, the status bar and closing. Its other sides are
mixins, each in a module of its own that sees the window through ``gui.window_protocol``:

- ``gui.window_runs``: the runs it starts (one RunSession per profile, several may run at once);
- ``gui.window_profile_commands``: new, duplicate, rename, delete, open folders, and the guard that
  always asks before unsaved changes in the editor go away;
- ``gui.window_always_on``: the scheduler's runs, Pause all, start at login, the tray's side.

Its actions, toolbar and menus are made by ``gui.window_actions``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.core.app_settings import AppSettings
from engine.core.folders import Folders, app_folders
from engine.core.logs import LOGGER_NAME
from engine.core.profiles import profile_path
from gui import qt_fixes
from gui.alerts import AlertCenter, Banner
from gui.history_view import HistoryView
from gui.icons import app_icon
from gui.log_view import LogView, install_log_buffer
from gui.profile_editor import ProfileEditor
from gui.profile_header import ProfileHeader
from gui.profile_list import ProfileDelegate, ProfileListModel, ProfileRow, gather_rows
from gui.progress_panel import ProgressPanel
from gui.run_worker import RunSession
from gui.scheduler import Scheduler
from gui.status_bar import StatusBar
from gui.window_actions import install_actions, show_list_menu
from gui.window_always_on import AlwaysOn, autostart_enabled
from gui.window_dialogs import WindowDialogs
from gui.window_profile_commands import ProfileCommands
from gui.window_runs import RunControl, session_activity

if TYPE_CHECKING:
    from gui.tray import Tray

Button = QMessageBox.StandardButton
REFRESH_MS = 30_000


class MainWindow(RunControl, ProfileCommands, AlwaysOn, WindowDialogs, QMainWindow):
    closed_for_good = Signal()  # the window closed and the app should end (not: hidden to the tray)
    hidden_to_tray = Signal()

    def __init__(self, folders: Folders | None = None, *, select: str | None = None) -> None:
        qt_fixes.install()
        super().__init__()
        self.folders = (folders or app_folders()).create()
        self.sessions: dict[str, RunSession] = {}
        self.shown_name: str | None = None  # the saved profile shown on the right (None: draft/none)
        self._restoring = False
        self.notifications_dialog: QDialog | None = None
        self.log_buffer = install_log_buffer()
        self.setWindowTitle("Rearguard[*]")
        self.setWindowIcon(app_icon())
        self.setMinimumSize(760, 520)  # 800 px wide screens: nothing hides sideways
        self._build_widgets()
        install_actions(self)  # run_action, preview_action, cancel_action, new_actions, … and menus
        self.settings = QSettings(str(self.folders.data / "window.ini"), QSettings.Format.IniFormat)
        self.app_settings = AppSettings.load(self.folders.data)
        self.scheduler = Scheduler(self, self.app_settings, parent=self)  # started by the app
        self.scheduler.changed.connect(self._schedule_changed)
        self.alerts = AlertCenter(self.folders, self.app_settings, self)
        self.notice = ""  # a one-time notice for the banner (no tray here)
        self.header.alert_days_changed.connect(self._alert_days_changed)
        self.header.os_schedule_toggled.connect(self.set_os_schedule)
        self.keep_in_tray = False  # set by the tray: closing the window hides it
        self.tray: Tray | None = None
        self.quitting = False
        self.autostart_action.setChecked(autostart_enabled())
        self._restore_geometry()
        self.clock = QTimer(self)
        self.clock.setInterval(REFRESH_MS)
        self.clock.timeout.connect(lambda: self.refresh_profiles())
        self.clock.start()
        self.refresh_profiles(select=select or str(self.settings.value("selected", "") or "") or None)
        if self.shown_name is None and self.list_model.rows:
            self.select(self.list_model.rows[0].name)
        self._update_actions()

    # -- building ---------------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.list_model = ProfileListModel(self)
        self.list = QListView()
        self.list.setModel(self.list_model)
        self.list.setItemDelegate(ProfileDelegate(self.list))
        self.list.setAccessibleName("Profiles")
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(lambda pos: show_list_menu(self, pos))
        self.list.selectionModel().currentChanged.connect(self._current_changed)
        heading = QLabel("<b>PROFILES</b>")
        heading.setBuddy(self.list)
        left = QWidget()
        left.setMinimumWidth(190)  # a wide form or header never squeezes the profiles away
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(6, 6, 0, 6)
        left_box.addWidget(heading)
        left_box.addWidget(self.list, 1)
        self.header = ProfileHeader()
        self.progress = ProgressPanel()
        self.progress.report.retry.connect(lambda: self.start_run())
        self.progress.report.repair.connect(lambda: self.start_run(verify=True, repair=True))
        self.editor = ProfileEditor(self.folders)
        self.editor.saved.connect(self._saved)
        self.editor.dirty_changed.connect(self._dirty_changed)
        self.history = HistoryView(self.folders)
        self.log_view = LogView(self.log_buffer)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for widget, title in (
            (self.progress, "&Progress"),
            (self.editor, "&Settings"),
            (self.history, "&History"),
            (self.log_view, "&Log"),
        ):
            self.tabs.addTab(widget, title)
        right = QWidget()
        right_box = QVBoxLayout(right)
        right_box.setContentsMargins(0, 6, 6, 6)
        right_box.addWidget(self.header)
        self.banner = Banner()
        right_box.addWidget(self.banner)
        right_box.addWidget(self.tabs, 1)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(left)
        self.split.addWidget(right)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([240, 840])  # the right side keeps the room at 800 px
        self.split.setChildrenCollapsible(False)
        self.notice_bar = Banner()  # the app's own notices (no tray…): apart from any profile's alerts
        central = QWidget()
        central_box = QVBoxLayout(central)
        central_box.setContentsMargins(0, 0, 0, 0)
        central_box.addWidget(self.notice_bar)
        central_box.addWidget(self.split, 1)
        self.setCentralWidget(central)
        self.setStatusBar(StatusBar())  # a message is elided before it reaches the counters
        self.summary = QLabel()
        self.statusBar().addPermanentWidget(self.summary)

    # -- dialogs (one place, so tests can answer them) ---------------------------------------------

    def ask(self, title: str, text: str, buttons: Button, default: Button) -> Button:
        return QMessageBox.question(self, title, text, buttons, default)

    def ask_text(self, title: str, label: str, text: str) -> str | None:
        value, ok = QInputDialog.getText(self, title, label, QLineEdit.EchoMode.Normal, text)
        return value if ok else None

    def tell(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)

    def ask_number(self, title: str, label: str, value: int, low: int, high: int) -> int | None:
        number, ok = QInputDialog.getInt(self, title, label, value, low, high)
        return number if ok else None

    # -- the profile list -------------------------------------------------------------------------

    def refresh_profiles(self, select: str | None = None) -> None:
        """Re-read the profiles folder and run history; keep (or move) the selection."""
        now = datetime.now().astimezone()
        rows = gather_rows(self.folders, now)
        for row in rows:
            if row.name in self.scheduler.next_runs:  # the scheduler's rules: back-off, max_runs
                row.next_run = self.scheduler.next_runs[row.name]
            row.paused = self.scheduler.paused
            if row.name in self.scheduler.os_runs:
                row.extra["os_scheduler"] = self.scheduler.os_runs[row.name]
            session = self.sessions.get(row.name)
            if session is not None and session.running:
                row.activity = session_activity(session)
            elif self.scheduler.queue.position(row.name):
                row.activity = f"queued ({self.scheduler.queue.position(row.name)})"
        keep = select or self.shown_name
        self._restoring = True
        try:
            reset = self.list_model.set_rows(rows, now)
            number = self.list_model.row_for(keep) if keep else -1
            if number >= 0 and (reset or select):
                self._set_current(number)
        finally:
            self._restoring = False
        if select and self.list_model.row_for(select) >= 0 and select != self.shown_name:
            self.show_profile(select)
        elif self.shown_name is not None and self.list_model.row_for(self.shown_name) < 0:
            self.show_profile(None)
        elif self.shown_name is not None:
            self._show_header()
        self._update_summary()
        self.alerts.check(rows, now)
        self._update_banner()

    def _set_current(self, number: int) -> None:
        self.list.selectionModel().setCurrentIndex(
            self.list_model.index(number), QItemSelectionModel.SelectionFlag.ClearAndSelect
        )

    def select(self, name: str) -> None:
        number = self.list_model.row_for(name)
        if number >= 0:
            self.list.setCurrentIndex(self.list_model.index(number))

    def row(self, name: str | None) -> ProfileRow | None:
        number = self.list_model.row_for(name) if name else -1
        return self.list_model.rows[number] if number >= 0 else None

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        if self._restoring:
            return
        name = self.list_model.rows[current.row()].name if current.isValid() else None
        if name == self.shown_name:
            return
        if not self.confirm_leave_editor():
            self._restoring = True
            self.list.selectionModel().setCurrentIndex(
                previous, QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
            self._restoring = False
            return
        number = self.list_model.row_for(name) if name else -1
        if number >= 0:  # saving on the way may have re-read the list: keep the user's choice
            self._restoring = True
            self._set_current(number)
            self._restoring = False
        self.show_profile(name)

    def show_profile(self, name: str | None) -> None:
        """Show a saved profile on the right (or nothing)."""
        self.shown_name = name
        row = self.row(name)
        if row is None:
            self.shown_name = None
            self.header.show_nothing()
            self.editor.clear()
            self.history.show_profile(None)
            self.progress.show_idle()
            self.log_view.set_folder(None)
            self._update_actions()
            self._update_banner()
            return
        self._show_header()
        self.editor.load_entry(row.entry)
        self.history.show_profile(row.name)
        self.log_view.set_folder(self.folders.profile_logs(row.name), row.name)
        session = self.sessions.get(row.name)
        if session is not None:
            self.progress.show_session(session)
        elif row.last is not None:
            self.progress.show_last(row.name, row.last, datetime.now().astimezone())
        else:
            self.progress.show_idle()
        self._update_actions()
        self._update_banner()  # the banner speaks of the shown profile only

    def _show_header(self) -> None:
        row = self.row(self.shown_name)
        if row is not None:
            self.header.show_row(
                row, datetime.now().astimezone(), self.app_settings.alert_after_days(row.name)
            )

    # -- the editor's signals ---------------------------------------------------------------------

    def _saved(self, name: str, old: str) -> None:
        self.statusBar().showMessage(f"Saved profile '{name}' to {profile_path(self.folders, name)}", 8000)
        self.shown_name = name
        self.refresh_profiles(select=name)
        self._show_header()
        self._update_actions()

    def _dirty_changed(self, dirty: bool) -> None:
        self.setWindowModified(dirty)
        self.tabs.setTabText(1, "&Settings •" if dirty else "&Settings")

    # -- state of the window ----------------------------------------------------------------------

    def _update_summary(self) -> None:
        rows = self.list_model.rows
        running = sum(1 for s in self.sessions.values() if s.running)
        scheduled = sum(1 for r in rows if r.next_run is not None)
        failed = [r.name for r in rows if r.last is not None and r.last.status not in ("ok", "running")]
        parts = [f"{len(rows)} profile{'s' if len(rows) != 1 else ''}", f"{scheduled} scheduled"]
        if running:
            parts.append(f"{running} running")
        if self.scheduler.queue.waiting:
            parts.append(self.scheduler.queue_text())
        if self.scheduler.paused:
            parts.append("schedules paused")
        if failed:
            parts.append(f"last run not ok: {', '.join(failed[:3])}" + ("…" if len(failed) > 3 else ""))
        self.summary.setText(" · ".join(parts))

    def _restore_geometry(self) -> None:
        geometry = self.settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1180, 760)
        split = self.settings.value("split")
        if split is not None:
            self.split.restoreState(split)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.keep_in_tray and not self.quitting:
            event.ignore()  # the tray keeps the app and its schedules going
            self.hide()
            self.hidden_to_tray.emit()
            return
        if not self.quitting and not self.keep_in_tray and self.scheduler.timer.isActive():
            scheduled = [name for name, due in self.scheduler.next_runs.items() if due is not None]
            if scheduled and not self.scheduler.paused:
                choice = self.ask(
                    "Quit Rearguard?",
                    "Scheduled backups run only while Rearguard is open "
                    f"({', '.join(scheduled[:3])}{'…' if len(scheduled) > 3 else ''}).\n\n"
                    "Quit anyway? (Minimize the window to keep them running.)",
                    Button.Yes | Button.No,
                    Button.No,
                )
                if choice != Button.Yes:
                    event.ignore()
                    return
        if not self.confirm_leave_editor("quit"):
            event.ignore()
            return
        running = [s for s in self.sessions.values() if s.running]
        if running:
            names = ", ".join(s.profile.name for s in running)
            choice = self.ask(
                "Runs in progress",
                f"Still running: {names}.\n\nStop them and quit? Files "
                "copied so far stay complete; the next run finishes the job.",
                Button.Yes | Button.No,
                Button.No,
            )
            if choice != Button.Yes:
                event.ignore()
                return
            for session in running:
                session.stop_and_wait()
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("split", self.split.saveState())
        self.settings.setValue("selected", self.shown_name or "")
        self.settings.sync()
        logging.getLogger(LOGGER_NAME).removeHandler(self.log_buffer)
        self.scheduler.stop()
        event.accept()
        self.closed_for_good.emit()
