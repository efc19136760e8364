"""What the main window's parts see of it: its panels, state and actions, and what they call on it.

The window's mixins (``gui.window_*``), its actions and menus and the tray work on the window
through this protocol, never through ``gui.main_window.MainWindow``: so none of them imports the
window's module, and the window's module imports them without a cycle.

Everything here is for the type checker only: at run time this module imports nothing from ``gui``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Protocol

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtCore import Signal
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QDialog, QListView, QMainWindow, QMenu, QMessageBox, QTabWidget

    from engine.core.app_settings import AppSettings
    from engine.core.folders import Folders
    from gui.alerts import AlertCenter, Banner
    from gui.history_view import HistoryView
    from gui.log_view import LogBuffer
    from gui.profile_editor import ProfileEditor
    from gui.profile_header import ProfileHeader
    from gui.profile_list import ProfileListModel, ProfileRow
    from gui.progress_panel import ProgressPanel
    from gui.run_worker import RunSession
    from gui.scheduler import Scheduler

    Button = QMessageBox.StandardButton


class WindowParts(Protocol):
    """The main window as its mixins, actions and tray use it (besides being a ``QMainWindow``)."""

    # -- panels and state -------------------------------------------------------------------------
    folders: Folders
    app_settings: AppSettings
    scheduler: Scheduler
    alerts: AlertCenter
    sessions: dict[str, RunSession]  # one per profile that ran (or runs) since the window opened
    # Set by the mixins too (so with a value: mypy takes a protocol member without one as abstract).
    shown_name: str | None = None  # the saved profile shown on the right (None: a draft or nothing)
    notice: str = ""  # a one-time notice for the banner
    keep_in_tray: bool = False  # closing the window hides it in the tray
    quitting: bool = False
    _restoring: bool = False  # the list's selection is being set by the window, not by the user
    list: QListView
    list_model: ProfileListModel
    header: ProfileHeader
    banner: Banner  # the shown profile's alerts
    notice_bar: Banner  # the app's own notices (no tray), dismissable, apart from any profile
    tabs: QTabWidget
    progress: ProgressPanel
    editor: ProfileEditor
    history: HistoryView
    log_buffer: LogBuffer  # the Log tab's records; it masks the secrets it learns

    # -- dialogs ----------------------------------------------------------------------------------
    def ask(self, title: str, text: str, buttons: Button, default: Button) -> Button: ...
    def ask_text(self, title: str, label: str, text: str) -> str | None: ...
    def ask_number(self, title: str, label: str, value: int, low: int, high: int) -> int | None: ...
    def tell(self, title: str, text: str) -> None: ...
    def about(self) -> None: ...
    def open_notifications(self) -> QDialog: ...

    # -- the profile list and the panels on the right ---------------------------------------------
    def refresh_profiles(self, select: str | None = None) -> None: ...
    def select(self, name: str) -> None: ...
    def row(self, name: str | None) -> ProfileRow | None: ...
    def show_profile(self, name: str | None) -> None: ...
    def _show_header(self) -> None: ...
    def _update_summary(self) -> None: ...
    def _update_actions(self) -> None: ...
    def _update_banner(self) -> None: ...

    # -- commands ---------------------------------------------------------------------------------
    def confirm_leave_editor(self, doing: str = "leave this profile") -> bool: ...
    def new_profile(self, kind: str) -> None: ...
    def duplicate_current(self) -> None: ...
    def rename_current(self) -> None: ...
    def delete_current(self) -> None: ...
    def target_folder(self, name: str | None = None) -> Path | None: ...
    def open_target(self) -> None: ...
    def open_logs(self) -> None: ...
    def start_run(
        self,
        name: str | None = None,
        *,
        dry_run: bool = False,
        verify: bool = False,
        repair: bool = False,
        trigger: str = "gui",
    ) -> RunSession | None: ...
    def cancel_run(self, name: str | None = None) -> None: ...
    def pause_run(self, name: str | None = None, paused: bool | None = None) -> None: ...
    def pause_all_runs(self, paused: bool) -> int: ...

    # -- always on: the scheduler, the tray, start at login ---------------------------------------
    def running_names(self) -> set[str]: ...
    def set_paused(self, paused: bool) -> None: ...
    def ask_parallel_limit(self) -> None: ...
    def set_autostart(self, enabled: bool) -> None: ...
    def quit_app(self) -> None: ...
    def show_window(self) -> None: ...
    def show_notice(self, text: str) -> None: ...


if TYPE_CHECKING:

    class Window(WindowParts, QMainWindow):
        """The main window as its parts know it: a ``QMainWindow`` with the parts above, its signal
        and the actions ``gui.window_actions`` gives it (declared here, not in the protocol: they
        are set from outside the class, and mypy takes a protocol member set nowhere in the class as
        abstract).

        For the type checker only: the mixins name it as their base (at run time their base is
        ``object``); the actions and the tray take it as their window.
        """

        hidden_to_tray: ClassVar[Signal]  # the window hid in the tray instead of closing

        # -- the actions (made by gui.window_actions.install_actions) ------------------------------
        run_action: QAction
        preview_action: QAction
        verify_action: QAction
        cancel_action: QAction
        pause_run_action: QAction
        new_actions: dict[str, QAction]
        new_menu: QMenu
        save_action: QAction
        duplicate_action: QAction
        rename_action: QAction
        delete_action: QAction
        open_target_action: QAction
        open_logs_action: QAction
        open_profiles_action: QAction
        quit_action: QAction
        pause_action: QAction
        parallel_action: QAction
        autostart_action: QAction
        notifications_action: QAction
        focus_list_action: QAction
