"""The app's scheduling facts without Qt: the run queue, the schedule row in the state database,
alerts and the app's own settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine.core.app_settings import DEFAULT_ALERT_DAYS, AppSettings
from engine.core.state import StateDB
from engine.notify.alerts import run_alert, stale_alert
from engine.schedule.queue import RunQueue
from engine.schedule.slots import History
from engine.schedule.store import ScheduleState, first_run, load_history, read_state, write_state

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def add_run(db: StateDB, profile: str, started: datetime, status: str, trigger: str = "schedule") -> None:
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO runs (profile, kind, started, finished, status, trigger)"
            " VALUES (?, 'mirror', ?, ?, ?, ?)",
            (profile, started.isoformat(), (started + timedelta(minutes=3)).isoformat(), status, trigger),
        )


def test_a_due_profile_is_queued_once_however_many_slots_pass() -> None:
    queue = RunQueue(limit=2)
    assert queue.request("a") and not queue.request("a")
    assert queue.waiting == ["a"]


def test_a_running_profile_never_starts_twice_and_at_most_n_run() -> None:
    queue = RunQueue(limit=2)
    for name in ("a", "b", "c", "d"):
        queue.request(name)
    assert queue.take(running={"a"}) == ["b"]  # a waits for its own run; one free slot left
    assert queue.waiting == ["a", "c", "d"] and queue.position("c") == 2
    assert queue.take(running={"b", "x"}) == []
    assert queue.take(running=set()) == ["a", "c"]
    queue.keep_only(["b"])
    assert queue.waiting == []


def test_history_comes_from_the_runs_and_the_schedule_row_survives(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "state.db")
    try:
        assert load_history(db, "p") == History()
        add_run(db, "p", T0, "ok")
        add_run(db, "p", T0 + timedelta(hours=4), "failed")
        add_run(db, "p", T0 + timedelta(hours=5), "refused", trigger="gui")
        history = load_history(db, "p")
        assert history.last_good == T0 and history.last_start == T0 + timedelta(hours=5)
        assert history.failures_since_good == 2 and history.runs_done == 2
        assert first_run(db, "p") == T0
        state = ScheduleState("p", T0 + timedelta(hours=6), T0, T0, 2, paused=True)
        write_state(db, state)
        write_state(db, state)
    finally:
        db.close()
    again = StateDB(tmp_path / "state.db")
    try:
        assert read_state(again, "p") == state
        assert read_state(again, "other") is None
    finally:
        again.close()


def test_alerts_for_a_failed_run_and_for_no_good_run_in_n_days() -> None:
    assert run_alert("p", 7, "ok", None) is None and run_alert("p", 7, "cancelled", None) is None
    failed = run_alert("p", 7, "refused", "source is empty\nmore")
    assert failed is not None and "refused: source is empty" in failed.text and failed.key == "run:p:7"
    now = T0 + timedelta(days=3, minutes=1)
    assert stale_alert("p", T0 + timedelta(days=1), None, now, 3) is None
    stale = stale_alert("p", T0, None, now, 3)
    assert stale is not None and "3 days" in stale.text
    assert stale_alert("p", T0, None, now, 0) is None  # 0 = never alert
    assert stale_alert("p", None, None, now, 3) is None  # never run: nothing to say yet
    never = stale_alert("p", None, T0, now, 3)
    assert never is not None and "never had a good run" in never.text


def test_app_settings_round_trip_and_survive_a_bad_file(tmp_path: Path) -> None:
    settings = AppSettings.load(tmp_path)
    assert settings.alert_after_days("p") == DEFAULT_ALERT_DAYS and not settings.paused
    settings.alert_days["p"] = 7
    settings.paused = True
    settings.max_parallel = 3
    settings.save()
    again = AppSettings.load(tmp_path)
    assert (again.alert_after_days("p"), again.paused, again.max_parallel) == (7, True, 3)
    (tmp_path / "settings.json").write_text("{not json", encoding="utf-8")
    assert AppSettings.load(tmp_path).max_parallel == 2
