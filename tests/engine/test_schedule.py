"""Schedules: slots, catch-up once after sleep, back-off after failures, max_runs, clock jumps."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

from engine.core.profiles import Schedule
from engine.schedule.slots import ClockWatch, History, is_due, missed_slots, next_run, slot_after

UTC1 = timezone(timedelta(hours=1))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_slots_anchored_to_time_of_day() -> None:
    nightly = Schedule(every="1d", at="02:00")
    assert slot_after(nightly, at("2026-11-26 10:00"), tz=UTC) == at("2026-11-27 02:00")
    assert slot_after(nightly, at("2026-11-27 01:59"), tz=UTC) == at("2026-11-27 02:00")
    four = Schedule(every="4h", at="02:00")
    assert slot_after(four, at("2026-11-26 10:30"), tz=UTC) == at("2026-11-26 14:00")
    assert slot_after(four, at("2026-11-26 23:00"), tz=UTC) == at("2026-11-27 02:00")
    assert slot_after(nightly, at("2026-11-26 10:00"), tz=UTC1) == at("2026-11-27 01:00")


def test_interval_that_does_not_divide_a_day_restarts_at_the_time_of_day() -> None:
    five = Schedule(every="5h", at="02:00")
    assert slot_after(five, at("2026-11-26 22:30"), tz=UTC) == at("2026-11-27 02:00")
    assert slot_after(five, at("2026-11-27 01:59"), tz=UTC) == at("2026-11-27 02:00")
    assert slot_after(five, at("2026-11-27 02:00"), tz=UTC) == at("2026-11-27 07:00")


def test_first_run_without_time_of_day_is_now() -> None:
    now = at("2026-11-26 10:00")
    assert next_run(Schedule(every="4h"), History(), now) == now
    assert next_run(Schedule(every="1d", at="02:00"), History(), now, tz=UTC) == at("2026-11-27 02:00")


def test_next_run_follows_the_last_good_run() -> None:
    every4 = Schedule(every="4h")
    history = History(last_start=at("2026-11-26 08:00"), last_good=at("2026-11-26 08:00"), runs_done=3)
    assert next_run(every4, history, at("2026-11-26 09:00")) == at("2026-11-26 12:00")


def test_next_run_in_local_time_after_a_good_run() -> None:
    """The cases the GUI's own fallback rule used to answer; the engine's rule answers them now."""
    now = datetime(2026, 11, 26, 10, 30, tzinfo=UTC1)

    def ran(started: datetime) -> History:
        return History(last_start=started, last_good=started, runs_done=1)

    every_4h = Schedule(every="4h")
    assert next_run(every_4h, History(), now, tz=UTC1) == now  # never run: due now
    # Slots are on the clock (00, 04, 08, 12, … without ``at``), not counted from the last run.
    assert next_run(every_4h, ran(now - timedelta(hours=1)), now, tz=UTC1) == datetime(
        2026, 11, 26, 12, 0, tzinfo=UTC1
    )
    missed = next_run(every_4h, ran(now - timedelta(days=2)), now, tz=UTC1)
    assert is_due(missed, now)  # missed while closed: due now, caught up once
    nightly = Schedule(every="1d", at="02:00")
    assert next_run(nightly, History(), now, tz=UTC1) == datetime(2026, 11, 27, 2, 0, tzinfo=UTC1)
    late = ran(datetime(2026, 11, 26, 2, 5, tzinfo=UTC1))
    assert next_run(nightly, late, now, tz=UTC1) == datetime(2026, 11, 27, 2, 0, tzinfo=UTC1)
    grid = Schedule(every="6h", at="00:00")  # 00, 06, 12, 18
    late = ran(datetime(2026, 11, 26, 6, 20, tzinfo=UTC1))
    assert next_run(grid, late, now, tz=UTC1) == datetime(2026, 11, 26, 12, 0, tzinfo=UTC1)


def test_missed_slots_while_asleep_are_caught_up_once() -> None:
    nightly = Schedule(every="1d", at="02:00")
    good = at("2026-11-20 02:00")
    due = next_run(nightly, History(good, good, 0, 5), at("2026-11-26 09:00"), tz=UTC)
    assert due == at("2026-11-21 02:00")  # in the past: due now, one run
    assert missed_slots(nightly, due, at("2026-11-26 09:00")) == 6
    after_catch_up = History(at("2026-11-26 09:00"), at("2026-11-26 09:00"), 0, 6)
    assert next_run(nightly, after_catch_up, at("2026-11-26 09:05"), tz=UTC) == at("2026-11-27 02:00")


def test_failure_backs_off_and_never_clears_the_schedule() -> None:
    every4 = Schedule(every="4h")
    good = at("2026-11-26 00:00")
    fail = History(last_start=at("2026-11-26 04:00"), last_good=good, failures_since_good=1, runs_done=2)
    assert next_run(every4, fail, at("2026-11-26 04:01")) == at("2026-11-26 04:05")
    third = History(at("2026-11-26 05:00"), good, 3, 4)
    assert next_run(every4, third, at("2026-11-26 05:01")) == at("2026-11-26 06:00")
    many = History(at("2026-11-26 05:00"), good, 9, 10)
    assert next_run(every4, many, at("2026-11-26 05:01")) == at("2026-11-26 08:00")  # the next slot
    never_good = History(at("2026-11-26 05:00"), None, 2, 2)
    assert next_run(every4, never_good, at("2026-11-26 05:01")) == at("2026-11-26 05:15")


def test_max_runs_ends_the_schedule() -> None:
    limited = Schedule(every="1h", max_runs=3)
    assert (
        next_run(
            limited, History(at("2026-11-26 05:00"), at("2026-11-26 05:00"), 0, 3), at("2026-11-26 05:01")
        )
        is None
    )


def test_clock_watch_sees_sleep_and_clock_changes() -> None:
    wall, mono = [1000.0], [50.0]
    watch = ClockWatch(threshold=60, wall=lambda: wall[0], mono=lambda: mono[0])
    wall[0] += 10
    mono[0] += 10
    assert watch.check() == 0.0
    wall[0] += 3600  # asleep for an hour: the monotonic clock stood still
    assert watch.check() == 3600
    wall[0] -= 7200  # clock set back two hours
    assert watch.check() == -7200


def test_whole_days_run_on_across_month_ends() -> None:
    """``3d`` is every third day whatever the month: 31 Dec, then 3 Jan (not the 1st again)."""
    three_days = Schedule(every="3d", at="02:00")
    slots = [at("2026-12-27 00:00")]
    for _ in range(4):
        slots.append(slot_after(three_days, slots[-1], tz=UTC))
    assert [s.strftime("%m-%d %H:%M") for s in slots[1:]] == [
        "12-28 02:00",
        "12-31 02:00",
        "01-03 02:00",
        "01-06 02:00",
    ]
    weekly = Schedule(every="7d", at="02:00")  # counted from Monday 1 January 2001: Mondays
    assert slot_after(weekly, at("2026-11-24 00:00"), tz=UTC).strftime("%a %d") == "Mon 30"


def test_a_late_catch_up_keeps_the_days_of_a_two_day_schedule() -> None:
    two_days = Schedule(every="2d", at="02:00")
    assert slot_after(two_days, at("2026-11-20 00:00"), tz=UTC) == at("2026-11-20 02:00")
    late = History(at("2026-11-21 09:00"), at("2026-11-21 09:00"), 0, 2)  # caught up a day late
    # The next run stays on the schedule's days (the OS schedulers' too), not two days after.
    assert next_run(two_days, late, at("2026-11-21 10:00"), tz=UTC) == at("2026-11-22 02:00")


def test_thirty_six_hours_alternates_two_times_of_day() -> None:
    every36 = Schedule(every="36h", at="02:00")
    moment, seen = at("2026-11-20 00:00"), []
    for _ in range(4):
        moment = slot_after(every36, moment, tz=UTC)
        seen.append(moment)
    assert [b - a for a, b in itertools.pairwise(seen)] == [timedelta(hours=36)] * 3
    assert {s.strftime("%H:%M") for s in seen} == {"02:00", "14:00"}
