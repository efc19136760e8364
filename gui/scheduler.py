"""The app's scheduler: every tick, which profiles are due, which start and which wait.

The rules are pure Python elsewhere: ``engine.schedule.slots`` (slots, catch-up once, back-off, max_runs,
time windows, wall-clock jumps), ``engine.schedule.queue`` (no overlap, at most N at once) and
``engine.schedule.store`` (history and next runs in the state database, so they survive restarts).
This QObject only ties them to a QTimer and to the window that starts runs. The clock and the
jump detector are injectable, so tests move time without waiting.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from engine.core.app_settings import AppSettings
from engine.core.folders import Folders
from engine.core.profiles import Profile, list_profiles
from engine.core.state import StateDB
from engine.schedule import os_scheduler
from engine.schedule.queue import RunQueue
from engine.schedule.slots import ClockWatch, History, is_due, missed_slots, next_run, window_of, window_open
from engine.schedule.store import load_history, read_state, state_from, write_state
from gui import power_events

log = logging.getLogger("rearguard.gui")
TICK_MS = 30_000
WAKE_GRACE = timedelta(seconds=60)  # after a sleep, give the network time to come back
BLOCKED_RETRY = timedelta(minutes=5)  # a run that could not start (locked elsewhere, bad profile)


class RunHost(Protocol):
    """What the scheduler needs from the window."""

    folders: Folders

    def running_names(self) -> set[str]: ...

    def start_scheduled(self, name: str) -> bool: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Scheduler(QObject):
    changed = Signal()  # next runs, the queue or pause changed
    clock_jumped = Signal(float)  # seconds the wall clock jumped (sleep, clock set)

    def __init__(
        self,
        host: RunHost,
        settings: AppSettings,
        *,
        clock: Callable[[], datetime] = _utc_now,
        watch: ClockWatch | None = None,
        tick_ms: int = TICK_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.host = host
        self.settings = settings
        self.clock = clock
        self.watch = watch or ClockWatch()
        self.queue = RunQueue(settings.max_parallel)
        self.next_runs: dict[str, datetime | None] = {}
        self.missed: dict[str, int] = {}
        self.hold_until: datetime | None = None
        self.blocked: dict[str, datetime] = {}
        self.os_runs: dict[str, str] = {}  # profile -> "systemd" / "Task Scheduler": not ours to fire
        self.profiles: dict[str, Profile] = {}  # the scheduled profiles, as the last tick read them
        self._power: power_events.PowerEventFilter | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(tick_ms)
        self.timer.timeout.connect(self.tick)

    # -- control ----------------------------------------------------------------------------------

    def start(self) -> None:
        self.timer.start()
        self._power = power_events.watch(self.woke)  # Windows: told when the computer wakes
        self.tick()

    def stop(self) -> None:
        self.timer.stop()
        power_events.unwatch(self._power)
        self._power = None

    def woke(self) -> None:
        """The computer woke from sleep: wait for the network (WAKE_GRACE), then catch up once."""
        self.hold_until = self.clock() + WAKE_GRACE
        self.clock_jumped.emit(0.0)
        self.tick()

    @property
    def paused(self) -> bool:
        return self.settings.paused

    def set_paused(self, paused: bool) -> None:
        """Pause or resume all schedules (remembered across restarts). Running runs go on."""
        self.settings.paused = paused
        self.settings.save()
        if paused:
            self.queue.waiting.clear()
        self.tick()

    def set_limit(self, limit: int) -> None:
        self.settings.max_parallel = max(1, limit)
        self.settings.save()
        self.queue.limit = self.settings.max_parallel
        self.dispatch()

    def run_ended(self, name: str, status: str) -> None:
        """The window reports how a run ended; a run that could not start is retried later."""
        if status == "locked":
            self.blocked[name] = self.clock() + BLOCKED_RETRY
        self.tick()

    # -- the tick ---------------------------------------------------------------------------------

    def tick(self) -> None:
        """Recompute every schedule, queue the due runs once, start what may start."""
        now = self.clock()
        jump = self.watch.check()
        if jump:
            log.info("the clock jumped by %+.0f s (sleep or a clock change); schedules re-read", jump)
            self.hold_until = now + WAKE_GRACE if jump > 0 else None
            self.clock_jumped.emit(jump)
        scheduled = self._scheduled_profiles()
        self.profiles = scheduled
        self.queue.keep_only(scheduled)
        self.next_runs = {}
        running = self.host.running_names()
        db = self._open_db()
        try:
            for name, profile in scheduled.items():
                self._consider(db, name, profile, now, running)
        finally:
            if db is not None:
                db.close()
        self.dispatch()
        self.changed.emit()

    def _consider(
        self, db: StateDB | None, name: str, profile: Profile, now: datetime, running: set[str]
    ) -> None:
        schedule = profile.spec.schedule
        assert schedule is not None
        history = load_history(db, name) if db is not None else History()
        due = next_run(schedule, history, now)
        self.next_runs[name] = due
        self.missed[name] = missed_slots(schedule, due, now) if due is not None else 0
        if db is not None:
            self._save(db, name, history, due)
        waiting = self.paused or (self.hold_until is not None and now < self.hold_until)
        blocked = self.blocked.get(name)
        if blocked is not None and now < blocked:
            waiting = True
        if not is_due(due, now):
            if name not in running:
                self.queue.drop(name)  # a run that just ended covered it
            return
        if not waiting:
            # Due while its own run goes on: waits in the queue (once) and starts after it.
            self.queue.request(name)

    def dispatch(self) -> None:
        """Start queued runs while there is a free slot; never a second run of one profile."""
        running = self.host.running_names()
        for name in self.queue.take(running):
            if not self._inside_window(name):
                log.info("scheduled run of '%s' waits for its window", name)
                continue  # the next tick finds it due at the window's start
            if self.host.start_scheduled(name):
                self.blocked.pop(name, None)
                log.info("scheduled run of '%s' started", name)
            else:
                self.blocked[name] = self.clock() + BLOCKED_RETRY
                log.warning("scheduled run of '%s' could not start; retrying in 5 min", name)
        self.changed.emit()

    # -- helpers ----------------------------------------------------------------------------------

    def _scheduled_profiles(self) -> dict[str, Profile]:
        """The profiles this scheduler fires: scheduled, and not left to the OS scheduler."""
        self.os_runs = os_scheduler.os_scheduled(self.host.folders)
        found: dict[str, Profile] = {}
        for entry in list_profiles(self.host.folders):
            if entry.name in self.os_runs:
                continue
            if entry.profile is not None and entry.profile.spec.schedule is not None:
                found[entry.name] = entry.profile
        return found

    def _open_db(self) -> StateDB | None:
        try:
            return StateDB(self.host.folders.state_db)
        except Exception as error:  # a locked or broken database must not stop the clock
            log.warning("the scheduler cannot read the state database: %s", error)
            return None

    def _save(self, db: StateDB, name: str, history: History, due: datetime | None) -> None:
        state = state_from(name, history, due, paused=self.paused)
        try:
            if read_state(db, name) != state:
                write_state(db, state)
        except Exception as error:  # the next tick tries again
            log.warning("could not save the schedule of '%s': %s", name, error)

    def _inside_window(self, name: str) -> bool:
        """A queued run may start: its profile has no window, or the window is open now."""
        profile = self.profiles.get(name)
        window = window_of(profile.spec.schedule) if profile is not None else None
        return window is None or window_open(window, self.clock())

    def queue_text(self) -> str:
        """``queued: A, B`` for the status bar; empty when nothing waits."""
        return f"queued: {', '.join(self.queue.waiting)}" if self.queue.waiting else ""
