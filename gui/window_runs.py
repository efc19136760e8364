"""Runs started from the window (Run now, Preview, Cancel, and the scheduler's starts): one
``RunSession`` per profile, several at once, followed by the list, the Progress tab and the status
bar. A mixin of ``MainWindow``; it sees the window through ``gui.window_protocol``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication

from engine.core.errors import ProfileError
from engine.core.profiles import profile_path, read_profile
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
        session = RunSession(
            profile,
            self.folders,
            dry_run=dry_run,
            verify=verify,
            repair=repair,
            trigger=trigger,
            learn_secrets=self.log_buffer.learn,
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
    return f"{'verifying' if session.verify else 'running'} {session.stats.percent:.0f} %"
