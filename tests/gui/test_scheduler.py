"""The app's scheduler under a faked clock: catch-up once after sleep, no overlap, the queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.core.app_settings import AppSettings
from engine.core.folders import Folders
from engine.core.profile_store import save_profile
from engine.core.profiles import MirrorProfile, Schedule
from engine.core.state import StateDB
from engine.schedule.slots import ClockWatch, slot_after
from engine.schedule.store import read_state
from gui.scheduler import WAKE_GRACE, Scheduler

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FakeTime:
    """A wall clock and a monotonic clock a test moves; ``sleep`` moves only the wall clock."""

    def __init__(self) -> None:
        self.now = T0
        self.mono = 1000.0

    def advance(self, delta: timedelta) -> None:
        self.now += delta
        self.mono += delta.total_seconds()

    def sleep(self, delta: timedelta) -> None:  # the machine sleeps: monotonic time stands still
        self.now += delta


class FakeHost:
    """Starts nothing real: records scheduled starts; a test ends runs by writing their rows."""

    def __init__(self, folders: Folders) -> None:
        self.folders = folders
        self.running: set[str] = set()
        self.started: list[str] = []
        self.refuse: set[str] = set()

    def running_names(self) -> set[str]:
        return set(self.running)

    def start_scheduled(self, name: str) -> bool:
        if name in self.refuse:
            return False
        assert name not in self.running, "two runs of one profile"
        self.running.add(name)
        self.started.append(name)
        return True

    def finish(self, name: str, started: datetime, status: str = "ok", trigger: str = "schedule") -> None:
        self.running.discard(name)
        db = StateDB(self.folders.state_db)
        try:
            with db.transaction() as conn:
                conn.execute(
                    "INSERT INTO runs (profile, kind, started, finished, status, trigger)"
                    " VALUES (?, 'mirror', ?, ?, ?, ?)",
                    (
                        name,
                        started.isoformat(),
                        (started + timedelta(minutes=5)).isoformat(),
                        status,
                        trigger,
                    ),
                )
        finally:
            db.close()


def scheduled(folders: Folders, name: str, tmp_path: Path, every: str = "4h") -> None:
    spec = MirrorProfile.model_validate(
        {
            "kind": "mirror",
            "schedule": {"every": every},
            "mirror": {"source": str(tmp_path / "src"), "replica": str(tmp_path / f"rep-{name}")},
        }
    )
    save_profile(folders, name, spec)


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


@pytest.fixture
def host(folders: Folders) -> FakeHost:
    return FakeHost(folders)


def make(host: FakeHost, time_: FakeTime, limit: int = 2) -> Scheduler:
    settings = AppSettings.load(host.folders.data)
    settings.max_parallel = limit
    watch = ClockWatch(wall=lambda: time_.now.timestamp(), mono=lambda: time_.mono)
    return Scheduler(host, settings, clock=lambda: time_.now, watch=watch, tick_ms=3_600_000)


def test_a_run_missed_during_sleep_is_caught_up_once_after_a_grace(
    qtbot, host: FakeHost, time_: FakeTime, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    scheduled(host.folders, "p", tmp_path)
    host.finish("p", T0 - timedelta(hours=1))
    scheduler = make(host, time_)
    scheduler.tick()
    assert host.started == [] and scheduler.next_runs["p"] == T0 + timedelta(hours=3)
    time_.sleep(timedelta(days=2))  # twelve slots pass while the lid is closed
    with qtbot.waitSignal(scheduler.clock_jumped) as jumped:
        scheduler.tick()
    assert jumped.args[0] >= 2 * 86400 - 1
    assert host.started == [] and scheduler.missed["p"] == 12  # waits for the network first
    time_.advance(WAKE_GRACE + timedelta(seconds=1))
    scheduler.tick()
    scheduler.tick()
    assert host.started == ["p"]  # once, not twelve times
    host.finish("p", time_.now)
    time_.advance(timedelta(minutes=10))
    scheduler.tick()
    # The next run is the schedule's next 4-hour slot after the catch-up, not 4 h after it.
    caught_up = time_.now - timedelta(minutes=10)
    assert host.started == ["p"] and scheduler.next_runs["p"] == slot_after(Schedule(every="4h"), caught_up)


def test_next_runs_are_saved_and_a_new_app_reads_the_same(
    host: FakeHost, time_: FakeTime, tmp_path: Path
) -> None:
    scheduled(host.folders, "p", tmp_path)
    host.finish("p", T0 - timedelta(hours=1))
    make(host, time_).tick()
    db = StateDB(host.folders.state_db)
    try:
        saved = read_state(db, "p")
    finally:
        db.close()
    assert saved is not None and saved.next_run == T0 + timedelta(hours=3) and saved.runs_done == 1
    again = make(host, time_)  # the app restarted
    again.tick()
    assert again.next_runs["p"] == saved.next_run and host.started == []


def test_a_due_run_while_one_runs_is_queued_once_and_never_overlaps(
    host: FakeHost, time_: FakeTime, tmp_path: Path
) -> None:
    scheduled(host.folders, "p", tmp_path)
    host.running.add("p")  # someone pressed Run now; no run recorded yet
    scheduler = make(host, time_)
    for _ in range(3):
        scheduler.tick()
        time_.advance(timedelta(minutes=1))
    assert host.started == [] and scheduler.queue.waiting == ["p"]
    assert "queued: p" in scheduler.queue_text()
    host.finish("p", T0 - timedelta(hours=5), status="ok", trigger="gui")  # it ended, long ago
    scheduler.tick()
    assert host.started == ["p"] and scheduler.queue.waiting == []


def test_at_most_n_profiles_run_and_the_others_wait_in_order(
    host: FakeHost, time_: FakeTime, tmp_path: Path
) -> None:
    for name in ("a", "b", "c"):
        scheduled(host.folders, name, tmp_path)
    scheduler = make(host, time_, limit=1)
    scheduler.tick()
    assert host.started == ["a"] and scheduler.queue.waiting == ["b", "c"]
    host.finish("a", time_.now)
    scheduler.tick()
    assert host.started == ["a", "b"] and scheduler.queue.position("c") == 1
    scheduler.set_limit(3)
    assert host.started == ["a", "b", "c"]


def test_paused_schedules_start_nothing_and_a_locked_start_waits(
    host: FakeHost, time_: FakeTime, tmp_path: Path
) -> None:
    scheduled(host.folders, "p", tmp_path)
    scheduler = make(host, time_)
    scheduler.set_paused(True)
    assert host.started == [] and AppSettings.load(host.folders.data).paused
    host.refuse.add("p")
    scheduler.set_paused(False)
    assert host.started == [] and "p" in scheduler.blocked
    host.refuse.clear()
    time_.advance(timedelta(minutes=1))
    scheduler.tick()
    assert host.started == []  # retried after a while, not every tick
    time_.advance(timedelta(minutes=5))
    scheduler.tick()
    assert host.started == ["p"]


def test_the_window_runs_a_due_profile_once_on_its_schedule(
    qtbot, window, make_files, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from engine.schedule.store import load_history

    source = tmp_path / "src"
    make_files(source, 5)
    mirror = {"source": str(source), "replica": str(tmp_path / "rep")}
    spec = MirrorProfile.model_validate({"kind": "mirror", "schedule": {"every": "1h"}, "mirror": mirror})
    save_profile(window.folders, "Docs", spec)
    window.refresh_profiles(select="Docs")
    window.scheduler.tick()
    window.scheduler.tick()  # due, but already running: never a second run
    session = window.sessions["Docs"]
    assert session.running and window.scheduler.queue.waiting in ([], ["Docs"])
    qtbot.waitUntil(lambda: not session.running, timeout=15_000)
    window.scheduler.tick()
    assert window.sessions["Docs"] is session and window.scheduler.queue.waiting == []
    db = StateDB(window.folders.state_db)
    try:
        history = load_history(db, "Docs")
    finally:
        db.close()
    assert history.runs_done == 1 and history.last_good is not None
    assert "next" in window.list_model.rows[0].line(window.list_model.now)
