"""The grid every schedule fires on (engine.core.cadence) and what `check` refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.core.cadence import cadence, every_problem
from engine.core.profiles import Schedule


def test_under_a_day_the_times_restart_at_the_time_of_day() -> None:
    five = cadence(timedelta(hours=5), "02:00")
    assert five.period_days == 1
    assert [m // 60 for _, m in five.times] == [2, 7, 12, 17, 22]
    quarter = cadence(timedelta(minutes=45), None)
    assert len(quarter.times) == 32 and quarter.times[0] == (0, 0)


def test_a_day_or_more_is_a_cycle_of_days() -> None:
    assert cadence(timedelta(days=3), "02:00").times == ((0, 120),)
    assert cadence(timedelta(days=3), "02:00").period_days == 3
    every36 = cadence(timedelta(hours=36), "02:00")
    assert (every36.period_days, every36.times) == (3, ((0, 120), (1, 840)))
    assert cadence(timedelta(days=7), None).period_days == 7


@pytest.mark.parametrize("every", ["15m", "45m", "4h", "5h", "7h", "1439m", "1d", "2d", "3d", "7d", "36h"])
def test_what_every_scheduler_can_keep_is_accepted(every: str) -> None:
    assert Schedule(every=every).every == every


@pytest.mark.parametrize("every", ["25h", "8d", "14d", "30d", "60h", "15.5m"])
def test_what_one_scheduler_cannot_keep_is_refused_saying_what_works(every: str) -> None:
    from engine.core.durations import parse_duration

    problem = every_problem(parse_duration(every))
    assert problem is not None
    if every != "15.5m":
        assert "'1d' to '7d'" in problem and "'36h'" in problem and "under a day" in problem
    with pytest.raises(ValueError, match="every"):
        Schedule(every=every)
