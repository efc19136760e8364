"""Runs started from the window (Run now, Preview, Cancel, Pause, and the scheduler's starts): one
``RunSession`` per profile, several at once, followed by the list, the Progress tab and the status
bar. A mixin of ``MainWindow``; it sees the window through ``gui.window_protocol``.

A profile's time window binds the scheduler's runs (they start inside it and stop at its end);
Run now ignores it, after asking once when the window is closed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QMessageBox

from engine.core.errors import ProfileError
from engine.core.profiles import Profile, profile_path, read_profile
from engine.core.time_window import format_hhmm
from engine.schedule.slots import window_end, window_of, window_start
from gui.run_worker import RunResult, RunSession

if TYPE_CHECKING:
    from gui.window_protocol import Window as _Base
else:
    _Base = object


class RunControl(_Base):
    def start_run(
        self,
        name: str | None = None,
        *,
        dry_run: bool = False,
        verify: bool = False,
        repair: bool = False,
        trigger: str = "gui",
    ) -> RunSession | None:
        """Run, preview or verify a saved profile in a worker thread; the Progress tab follows it."""
        name = name or self.shown_name
        if name is None:
            return None
        if (
            trigger != "schedule"
            and name == self.shown_name
            and not self.confirm_leave_editor(
                "preview it" if dry_run else "verify it" if verify else "run it"
            )
        ):
            return None
        current = self.sessions.get(name)
        if current is not None and current.running:
            self.statusBar().showMessage(f"'{name}' is already running", 5000)
            return None
        try:
            profile = read_profile(profile_path(self.folders, name))
        except ProfileError as error:
            if name == self.shown_name:
                self.progress.show_error("failed", f"<b>The profile cannot be used:</b><br>{error}")
                self.tabs.setCurrentWidget(self.progress)
            return None
        closes: datetime | None = None
        if not dry_run and not verify:
            fits, closes = self._window_allows(profile, scheduled=trigger == "schedule")
            if not fits:
                return None
        session = RunSession(
            profile,
            self.folders,
            dry_run=dry_run,
            verify=verify,
            repair=repair,
            trigger=trigger,
            learn_secrets=self.log_buffer.learn,
            window_end=closes,
            parent=self,
        )
        session.updated.connect(lambda: self._session_updated(name, session))
        session.finished.connect(lambda result: self._session_finished(name, session, result))
        if current is not None:
            current.deleteLater()
        self.sessions[name] = session
        if name == self.shown_name:
            self.progress.show_session(session)
            if trigger != "schedule":  # a scheduled run never pulls the user away from a tab
                self.tabs.setCurrentWidget(self.progress)
        session.start()
        self.list_model.set_activity(name, session_activity(session))
        self._update_actions()
        self._update_summary()
        return session

    def _window_allows(self, profile: Profile, *, scheduled: bool) -> tuple[bool, datetime | None]:
        """(may it start, when its window closes): a scheduled run only inside; Run now asks once."""
        window = window_of(profile.spec.schedule)
        if window is None:
            return True, None
        now = datetime.now(UTC)
        closes = window_end(window, now)
        if scheduled or closes is not None:
            return closes is not None, closes if scheduled else None
        opens = window_start(window, now).astimezone()
        answer = self.ask(
            "Outside its window",
            f"'{profile.name}' is outside its window ({window}); its scheduled runs wait for "
            f"{format_hhmm(opens.hour * 60 + opens.minute)}.\n\nRun it anyway, now?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes, None

    def pause_run(self, name: str | None = None, paused: bool | None = None) -> None:
        """Pause (or resume) a run: it keeps its lock and uses no disk or network until resumed."""
        session = self.sessions.get(name or self.shown_name or "")
        if session is None or not session.running:
            return
        wanted = not session.paused if paused is None else paused
        if session.set_paused(wanted):
            name = session.profile.name
            self.statusBar().showMessage(
                f"'{name}' paused — Resume continues it" if wanted else f"'{name}' resumed", 8000
            )
            self.list_model.set_activity(name, session_activity(session))
            self.progress.refresh()
        self._update_actions()

    def pause_all_runs(self, paused: bool) -> int:
        """Pause or resume every running run; returns how many changed."""
        changed = sum(1 for s in self.sessions.values() if s.running and s.set_paused(paused))
        for name, session in self.sessions.items():
            if session.running:
                self.list_model.set_activity(name, session_activity(session))
        self.progress.refresh()
        self._update_actions()
        return changed

    def cancel_run(self, name: str | None = None) -> None:
        session = self.sessions.get(name or self.shown_name or "")
        if session is not None and session.running:
            session.cancel()
            self.progress.refresh()
            self.statusBar().showMessage(f"Cancelling '{session.profile.name}' after the current file…", 5000)
        self._update_actions()

    def _session_updated(self, name: str, session: RunSession) -> None:
        if session.running:
            self.list_model.set_activity(name, session_activity(session))
            if name == self.shown_name:
                self._show_header()

    def _session_finished(self, name: str, session: RunSession, result: RunResult) -> None:
        self.list_model.set_activity(name, "")
        self.scheduler.run_ended(name, result.status)
        self.refresh_profiles()
        if name == self.shown_name:
            self.history.show_profile(name)
        outcome = result.outcome
        if result.error:
            message = f"{name}: {result.error.splitlines()[0]}"
        elif session.dry_run:
            message = f"Preview of '{name}' ready" + (
                " — a run would be refused" if outcome and outcome.reason else ""
            )
        elif outcome is not None and outcome.report is not None:
            message = outcome.report.summary().splitlines()[0]
        else:
            message = f"{name}: finished"
        self.statusBar().showMessage(message, 15000)
        self._update_actions()
        QApplication.alert(self)


def _purpose(dry_run: bool, verify: bool) -> str:
    return "preview it" if dry_run else "verify it" if verify else "run it"


def session_activity(session: RunSession) -> str:
    """What the profile list shows while a session runs: ``running 43 %``, ``previewing…``."""
    if session.dry_run:
        return "previewing…"
    if session.cancelled:
        return "cancelling…"
    if session.paused:
        return f"paused {session.stats.whole_percent} %"
    return f"{'verifying' if session.verify else 'running'} {session.stats.whole_percent} %"
