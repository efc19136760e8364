"""The tray icon: idle / running / warning, a tooltip with what runs, and the menu people use when
the window is closed (Run now, Pause / Resume per profile, Open window, Pause all, Start at login,
Quit).

Where no tray exists (GNOME without an extension, servers, offscreen) the app keeps a normal window
and taskbar entry instead and says so once; closing the window then asks before quitting.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QIcon, QPainter
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from engine.tools.bundled import resource_path
from gui.icons import app_icon, state_icon

if TYPE_CHECKING:
    from gui.window_protocol import Window

TRAY_SIZES = (16, 22, 24, 32, 48, 64)
NO_TRAY_NOTICE = (
    "This desktop shows no system tray, so Rearguard stays a normal window with a taskbar entry. "
    "Scheduled backups run while it is open; minimize it instead of closing it."
)
_FALLBACK_STATE = {"idle": "ok", "running": "running", "warning": "warning"}


@cache
def tray_icon(state: str) -> QIcon:
    """The shipped PNGs ``tray-<state>-<size>.png``; a drawn icon when they are missing."""
    icon = QIcon()
    for size in TRAY_SIZES:
        path = resource_path(f"icons/tray-{state}-{size}.png")
        if path.is_file():
            icon.addFile(str(path))
    if icon.isNull():
        icon = _drawn(state)
    return icon


def _drawn(state: str) -> QIcon:
    """The app's shield with the state's mark in a corner (no files needed)."""
    icon = QIcon()
    mark = state_icon(_FALLBACK_STATE.get(state, "ok"))
    for size in TRAY_SIZES:
        pixmap = app_icon().pixmap(size, size)
        if state != "idle":
            painter = QPainter(pixmap)
            small = size // 2 + 1
            painter.drawPixmap(size - small, size - small, mark.pixmap(small, small))
            painter.end()
        icon.addPixmap(pixmap)
    return icon


def tray_available() -> bool:
    return QSystemTrayIcon.isSystemTrayAvailable()


class Tray(QObject):
    """The tray icon and its menu, following the window's runs and the scheduler."""

    def __init__(self, window: Window) -> None:
        super().__init__(window)
        self.window = window
        self.state = "idle"
        self.icon = QSystemTrayIcon(tray_icon("idle"), self)
        self.icon.setToolTip("Rearguard")
        self.menu = QMenu()
        self.run_menu = QMenu("&Profiles")
        self.open_action = QAction("&Open window", self)
        self.open_action.triggered.connect(window.show_window)
        self.menu.addAction(self.open_action)
        self.menu.addMenu(self.run_menu)
        self.menu.addSeparator()
        self.menu.addAction(window.pause_action)
        self.menu.addAction(window.autostart_action)
        self.menu.addAction(window.notifications_action)
        self.menu.addSeparator()
        self.menu.addAction(window.quit_action)
        self.menu.aboutToShow.connect(self._fill_run_menu)
        self._fill_run_menu()
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.hinted = False
        window.hidden_to_tray.connect(self._hidden)
        window.list_model.dataChanged.connect(self.update)
        window.list_model.modelReset.connect(self.update)
        window.scheduler.changed.connect(self.update)
        window.keep_in_tray = True
        window.alerts.notifier = lambda title, text: self.notify(title, text, warning=True)
        self.icon.show()
        self.update()

    def _fill_run_menu(self) -> None:
        """One submenu per profile (its mark and state line): Run now, Pause or Resume, Show in window."""
        self.run_menu.clear()
        running = self.window.running_names()
        for row in self.window.list_model.rows:
            menu = self.run_menu.addMenu(
                state_icon(row.mark), f"{row.name}  ({row.line(self.window.list_model.now)})"
            )
            run = menu.addAction("&Run now")
            run.setEnabled(row.entry.profile is not None and row.name not in running)
            run.triggered.connect(lambda checked=False, n=row.name: self.window.start_run(n))
            session = self.window.sessions.get(row.name)
            if session is not None and session.can_pause:
                hold = menu.addAction("R&esume" if session.paused else "&Pause")
                hold.triggered.connect(
                    lambda checked=False, n=row.name, p=not session.paused: self.window.pause_run(n, p)
                )
            show = menu.addAction("&Show in window")
            show.triggered.connect(lambda checked=False, n=row.name: self._show_profile(n))
        if not self.window.list_model.rows:
            self.run_menu.addAction("No profiles yet").setEnabled(False)

    def _show_profile(self, name: str) -> None:
        self.window.show_window()
        self.window.select(name)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            if self.window.isVisible() and not self.window.isMinimized():
                self.window.hide()
            else:
                self.window.show_window()

    def _hidden(self) -> None:
        if not self.hinted:  # once per session: where the app went
            self.hinted = True
            self.notify("Rearguard is still running", "Schedules go on; the tray icon opens the window.")

    def notify(self, title: str, text: str, warning: bool = False) -> None:
        kind = QSystemTrayIcon.MessageIcon.Warning if warning else QSystemTrayIcon.MessageIcon.Information
        self.icon.showMessage(title, text, kind, 10_000)

    def update(self) -> None:
        """Icon and tooltip from the window's state: running beats warning beats idle."""
        rows = self.window.list_model.rows
        busy = [r for r in rows if r.activity and not r.activity.startswith("queued")]
        failed = [r.name for r in rows if r.mark in ("failed", "refused", "unavailable", "warning")]
        lines = ["Rearguard"]
        if busy:
            state = "running"
            lines += [f"{r.name}: {r.activity}" for r in busy]
        elif failed:
            state = "warning"
            lines.append(f"Last run not ok: {', '.join(failed)}")
        else:
            state = "idle"
            lines.append("All backups ok" if rows else "No profiles yet")
        if self.window.scheduler.queue.waiting:
            lines.append(self.window.scheduler.queue_text())
        if self.window.scheduler.paused:
            lines.append("Paused: runs hold, no schedule starts")
        if state != self.state:
            self.state = state
            self.icon.setIcon(tray_icon(state))
        self.icon.setToolTip("\n".join(lines))


def install(window: Window) -> Tray | None:
    """Put the app in the tray when there is one; otherwise keep the window and say so once."""
    if tray_available():
        return Tray(window)
    window.keep_in_tray = False
    settings = window.app_settings
    if not settings.tray_notice_shown:
        settings.tray_notice_shown = True
        settings.save()
        window.statusBar().showMessage(NO_TRAY_NOTICE, 30_000)
        window.show_notice(NO_TRAY_NOTICE)
    return None
