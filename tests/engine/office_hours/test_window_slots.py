"""The window rule in engine.schedule.slots, with a fake clock: inside, outside, across midnight, catch-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from engine.core.profiles import Schedule
from engine.core.time_window import parse_window
from engine.schedule.slots import (
    History,
    is_due,
    missed_slots,
    next_run,
    waits_for_window,
    window_end,
    window_open,
    window_start,
)

NIGHT = parse_window("19:00-07:00")
DAY = parse_window("09:00-17:00")
UTC2 = timezone(timedelta(hours=2))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_inside_and_outside_a_window_that_wraps_midnight() -> None:
    for inside in ("2026-11-30 19:00", "2026-11-30 23:59", "2026-12-01 00:00", "2026-12-01 06:59:59"):
        assert window_open(NIGHT, at(inside), UTC), inside
    for outside in ("2026-11-30 07:00", "2026-11-30 12:00", "2026-11-30 18:59:59"):
        assert not window_open(NIGHT, at(outside), UTC), outside


def test_when_the_window_closes_and_opens() -> None:
    assert window_end(NIGHT, at("2026-11-30 23:00"), UTC) == at("2026-12-01 07:00")
    assert window_end(NIGHT, at("2026-12-01 03:00"), UTC) == at("2026-12-01 07:00")
    assert window_end(NIGHT, at("2026-12-01 08:00"), UTC) is None
    assert window_start(NIGHT, at("2026-12-01 08:00"), UTC) == at("2026-12-01 19:00")
    assert window_start(NIGHT, at("2026-12-01 03:00"), UTC) == at("2026-12-01 03:00")  # inside: now
    assert window_start(DAY, at("2026-12-01 17:30"), UTC) == at("2026-12-02 09:00")
    assert window_end(DAY, at("2026-12-01 09:00"), UTC) == at("2026-12-01 17:00")


def test_local_time_of_day_is_what_counts() -> None:
    # 18:30 UTC is 20:30 at UTC+2: inside the night window there.
    assert window_open(NIGHT, at("2026-11-30 18:30"), UTC2)
    assert not window_open(NIGHT, at("2026-11-30 18:30"), UTC)
    assert window_end(NIGHT, at("2026-11-30 18:30"), UTC2) == at("2026-12-01 05:00")


def test_a_slot_inside_the_window_is_kept() -> None:
    nightly = Schedule(every="1d", at="02:00", window="19:00-07:00")
    history = History(last_start=at("2026-11-30 02:00"), last_good=at("2026-11-30 02:00"), runs_done=1)
    assert next_run(nightly, history, at("2026-11-30 12:00"), tz=UTC) == at("2026-12-01 02:00")


def test_a_slot_outside_the_window_waits_for_its_start() -> None:
    four = Schedule(every="4h", at="00:00", window="19:00-07:00")
    history = History(last_start=at("2026-11-30 04:00"), last_good=at("2026-11-30 04:00"), runs_done=1)
    # The next slot, 08:00, is outside: the run waits for 19:00.
    due = next_run(four, history, at("2026-11-30 05:00"), tz=UTC)
    assert due == at("2026-11-30 19:00")
    assert not is_due(due, at("2026-11-30 08:00"))
    assert is_due(due, at("2026-11-30 19:00"))
    assert waits_for_window(four, history, at("2026-11-30 09:00"), tz=UTC) == at("2026-11-30 19:00")


def test_a_catch_up_outside_the_window_waits_for_its_start() -> None:
    nightly = Schedule(every="1d", at="02:00", window="19:00-07:00")
    # The machine was off from Sunday evening until Tuesday 10:00: the 02:00 slot was missed.
    history = History(last_start=at("2026-11-29 02:00"), last_good=at("2026-11-29 02:00"), runs_done=3)
    now = at("2026-12-01 10:00")
    due = next_run(nightly, history, now, tz=UTC)
    assert due == at("2026-12-01 19:00") and not is_due(due, now)
    assert waits_for_window(nightly, history, now, tz=UTC) == at("2026-12-01 19:00")
    # Woken inside the window, the same catch-up runs at once (once, not once per missed slot).
    early = at("2026-12-01 05:00")
    due_early = next_run(nightly, history, early, tz=UTC)
    assert is_due(due_early, early) and due_early == at("2026-11-30 02:00")
    assert missed_slots(nightly, due_early, early) == 2
    assert waits_for_window(nightly, history, early, tz=UTC) is None


def test_a_retry_after_a_failure_also_waits_for_the_window() -> None:
    four = Schedule(every="4h", window="19:00-07:00")
    history = History(
        last_start=at("2026-12-01 06:58"),
        last_good=at("2026-12-01 02:00"),
        failures_since_good=1,
        runs_done=2,
    )
    assert next_run(four, history, at("2026-12-01 07:01"), tz=UTC) == at("2026-12-01 19:00")


def test_a_first_run_without_a_time_of_day_starts_inside_only() -> None:
    four = Schedule(every="4h", window="19:00-07:00")
    assert next_run(four, History(), at("2026-12-01 20:00"), tz=UTC) == at("2026-12-01 20:00")
    assert next_run(four, History(), at("2026-12-01 12:00"), tz=UTC) == at("2026-12-01 19:00")


def test_without_a_window_nothing_changes() -> None:
    four = Schedule(every="4h", at="00:00")
    history = History(last_start=at("2026-11-30 04:00"), last_good=at("2026-11-30 04:00"), runs_done=1)
    assert next_run(four, history, at("2026-11-30 05:00"), tz=UTC) == at("2026-11-30 08:00")
    assert waits_for_window(four, history, at("2026-11-30 09:00"), tz=UTC) is None
