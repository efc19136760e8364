"""Next run times and how times read."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from engine.core.profiles import Schedule
from gui.when import describe, describe_age, describe_eta, next_run

TZ = timezone(timedelta(hours=1))
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=TZ)


def test_next_run_follows_the_last_run_and_the_time_of_day() -> None:
    assert next_run(None, None, NOW) is None
    every_4h = Schedule(every="4h")
    assert next_run(every_4h, None, NOW) == NOW  # never run: due now
    assert next_run(every_4h, NOW - timedelta(hours=1), NOW) == NOW + timedelta(hours=3)
    assert next_run(every_4h, NOW - timedelta(days=2), NOW) == NOW  # missed: caught up once, now
    nightly = Schedule(every="1d", at="02:00")
    assert next_run(nightly, None, NOW) == datetime(2026, 11, 27, 2, 0, tzinfo=TZ)
    assert next_run(nightly, datetime(2026, 11, 26, 2, 5, tzinfo=TZ), NOW) == datetime(
        2026, 11, 27, 2, 0, tzinfo=TZ
    )
    grid = Schedule(every="6h", at="00:00")  # 00, 06, 12, 18
    assert next_run(grid, datetime(2026, 11, 26, 6, 20, tzinfo=TZ), NOW) == datetime(
        2026, 11, 26, 12, 0, tzinfo=TZ
    )


def test_times_read_like_speech() -> None:
    assert describe(NOW.replace(hour=8, minute=5), NOW) == "today 08:05"
    assert describe(NOW - timedelta(days=1), NOW) == "yesterday 10:30"
    assert describe(NOW + timedelta(days=1), NOW) == "tomorrow 10:30"
    assert describe(None, NOW) == "never"
    assert describe_age(timedelta(hours=50)) == "2 days"
    assert describe_eta(41) == "0:41" and describe_eta(3730) == "1:02:10" and describe_eta(None) == "—"
