"""The main window's always-on side: the scheduler's runs, Pause all, start at login, showing and
quitting from the tray, and the alert banner. A mixin of ``MainWindow``; it sees the window through
``gui.window_protocol``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.core.errors import RearguardError
from engine.core.profiles import resolve_profile
from engine.schedule import autostart, os_scheduler

if TYPE_CHECKING:
    from gui.window_protocol import Window as _Base
else:
    _Base = object


class AlwaysOn(_Base):
    def running_names(self) -> set[str]:
        """The profiles with a run or preview going on (the scheduler never starts a second)."""
        return {name for name, session in self.sessions.items() if session.running}

    def start_scheduled(self, name: str) -> bool:
        """Start a run the scheduler queued (the saved profile; the editor is left alone)."""
        return self.start_run(name, trigger="schedule") is not None

    def set_paused(self, paused: bool) -> None:
        """Pause all: every running run holds (its lock kept) and no schedule starts; or resume both."""
        self.scheduler.set_paused(paused)
        runs = self.pause_all_runs(paused)
        held = f"{runs} run(s) and " if runs else ""
        self.statusBar().showMessage(
            f"Paused {held}all schedules; Run now still works" if paused else "Runs and schedules resumed",
            8000,
        )

    def ask_parallel_limit(self) -> None:
        limit = self.ask_number(
            "Scheduled runs at the same time",
            "Run at most this many scheduled profiles at once (the others wait in a queue):",
            self.app_settings.max_parallel,
            1,
            16,
        )
        if limit is not None:
            self.scheduler.set_limit(limit)

    def set_autostart(self, enabled: bool) -> None:
        """Start (or no longer start) Rearguard in the tray at login."""
        try:
            if enabled:
                where = autostart.enable()
                self.statusBar().showMessage(f"Rearguard starts at login ({where})", 8000)
            else:
                autostart.disable()
                self.statusBar().showMessage("Rearguard no longer starts at login", 8000)
        except OSError as error:
            self.tell("Start at login", f"Could not change the start at login: {error}")
        self.autostart_action.setChecked(autostart_enabled())

    def set_os_schedule(self, enabled: bool) -> None:
        """The header's "Run even when I'm not logged in": register with (or remove from) the OS scheduler."""
        name = self.shown_name
        if name is None:
            return
        try:
            if enabled:
                profile = resolve_profile(self.folders, name)
                backend = os_scheduler.default_backend()
                done = os_scheduler.install(self.folders, [profile], backend)
                notes = "\n".join(note for reg in done for note in reg.notes)
                where = os_scheduler.backend_label(done[0].backend)
                self.statusBar().showMessage(f"'{name}' now runs via {where}, logged in or not", 8000)
                if notes:
                    self.tell("Run even when not logged in", f"'{name}' runs via {where}.\n\n{notes}")
            else:
                os_scheduler.remove(self.folders, [name])
                self.statusBar().showMessage(f"'{name}' runs on the app's own schedule again", 8000)
        except (RearguardError, OSError) as error:
            self.tell("Run even when not logged in", f"Could not change how '{name}' is scheduled:\n{error}")
        self.scheduler.tick()
        self.refresh_profiles()
        self._show_header()

    def quit_app(self) -> None:
        """Quit for real (the tray's and the menu's Quit): the window closes, the app ends."""
        self.quitting = True
        if not self.close():
            self.quitting = False

    def show_window(self) -> None:
        """Bring the window to the front (tray's Open, a second start of the app)."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def _schedule_changed(self) -> None:
        self.pause_action.setChecked(self.scheduler.paused)
        for row in self.list_model.rows:
            if row.name in self.scheduler.next_runs:
                row.next_run = self.scheduler.next_runs[row.name]
            row.paused = self.scheduler.paused
            queued = self.scheduler.queue.position(row.name)
            session = self.sessions.get(row.name)
            if session is not None and session.running:
                continue
            self.list_model.set_activity(row.name, f"queued ({queued})" if queued else "")
        if self.list_model.rows:  # next runs may have moved (back-off, max_runs): repaint the lines
            last = self.list_model.index(len(self.list_model.rows) - 1)
            self.list_model.dataChanged.emit(self.list_model.index(0), last)
        self._show_header()
        self._update_summary()

    def show_notice(self, text: str) -> None:
        self.notice = text
        self._update_banner()

    def _update_banner(self) -> None:
        """The shown profile's alerts over its tabs; the app's notice apart, above everything."""
        self.banner.show_text(self.alerts.text_for(self.shown_name) if self.shown_name else "")
        self.notice_bar.show_text(self.notice, warning=False)

    def _alert_days_changed(self, days: int) -> None:
        if self.shown_name is None:
            return
        self.app_settings.alert_days[self.shown_name] = days
        self.app_settings.save()
        self.refresh_profiles()


def autostart_enabled() -> bool:
    try:
        return autostart.is_enabled()
    except OSError:
        return False
