"""Windows and bandwidth limits as profile text: what is accepted, what is refused (exit 2, naming it)."""

from __future__ import annotations

from datetime import datetime

import pytest

from engine.core.bandwidth import (
    bwlimit_problem,
    describe_limit,
    format_rate,
    limit_at,
    parse_bwlimit,
)
from engine.core.errors import ProfileError
from engine.core.profiles import parse_profile_text
from engine.core.time_window import TimeWindow, parse_window

MIB = 1 << 20


def test_a_window_is_two_times_of_day_and_may_wrap_midnight() -> None:
    night = parse_window("19:00-07:00")
    assert night == TimeWindow(19 * 60, 7 * 60) and night.wraps and night.length == 12 * 60
    assert str(night) == "19:00-07:00"
    assert night.contains(23 * 60) and night.contains(0) and night.contains(6 * 60 + 59)
    assert not night.contains(7 * 60) and not night.contains(12 * 60) and night.contains(19 * 60)
    day = parse_window(" 08:30-17:00 ")
    assert not day.wraps and day.contains(9 * 60) and not day.contains(17 * 60) and not day.contains(3 * 60)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("19:00", "is not a window"),
        ("19:00-", "is not a window"),
        ("7:00-19:00", "is not a time of day"),
        ("19:00-24:00", "is not a time of day"),
        ("19:60-07:00", "is not a time of day"),
        ("19:00-07:00-08:00", "is not a window"),
        ("07:00-07:00", "same time"),
        ("nightly", "is not a window"),
    ],
)
def test_a_bad_window_is_exit_2_naming_schedule_window(text: str, says: str) -> None:
    toml = (
        f'kind = "mirror"\n[schedule]\nevery = "4h"\nwindow = "{text}"\n'
        '[mirror]\nsource = "/a"\nreplica = "/b"\n'
    )
    with pytest.raises(ProfileError) as caught:
        parse_profile_text(toml, "p")
    assert caught.value.exit_code == 2
    assert "[schedule].window:" in str(caught.value) and says in str(caught.value)


@pytest.mark.parametrize(
    ("text", "rate"),
    [("20M", 20 * MIB), ("512K", 512 * 1024), ("512k", 512 * 1024), ("4MiB", 4 * MIB), ("1Mi", MIB),
     ("0.5M", MIB / 2), ("1G", 1 << 30), ("100B", 100), ("off", None)],
)  # fmt: skip
def test_a_constant_limit(text: str, rate: float | None) -> None:
    limit = parse_bwlimit(text)
    assert not limit.timetable
    assert limit_at(limit, datetime(2026, 11, 30, 3, 0)) == (rate, None)


def test_no_limit_at_all() -> None:
    limit = parse_bwlimit("")
    assert not limit.is_set and limit_at(limit, datetime(2026, 11, 30, 3, 0)) == (None, None)
    assert not parse_bwlimit("off").is_set


def test_a_timetable_gives_the_limit_in_force_and_when_it_changes() -> None:
    office = parse_bwlimit("08:00,512K 19:00,off")
    monday = datetime(2026, 11, 30, 9, 30)  # a Monday
    assert limit_at(office, monday) == (512 * 1024, datetime(2026, 11, 30, 19, 0))
    assert limit_at(office, monday.replace(hour=20)) == (None, datetime(2026, 12, 1, 8, 0))
    assert limit_at(office, monday.replace(hour=3)) == (None, datetime(2026, 11, 30, 8, 0))  # wraps round
    assert limit_at(office, monday.replace(hour=8, minute=0)) == (512 * 1024, datetime(2026, 11, 30, 19, 0))
    assert parse_bwlimit("08:00,512K;19:00,off") == parse_bwlimit("08:00,512K;19:00,off")
    assert limit_at(parse_bwlimit("08:00,512K;19:00,off"), monday)[0] == 512 * 1024


def test_weekdays_and_pairs_as_rclone_reads_them() -> None:
    week = parse_bwlimit("Mon-08:00,4M Sat-00:00,off")
    assert limit_at(week, datetime(2026, 12, 2, 12, 0))[0] == 4 * MIB  # a Wednesday
    assert limit_at(week, datetime(2026, 12, 6, 12, 0)) == (None, datetime(2026, 12, 7, 8, 0))  # Sunday
    pair = parse_bwlimit("10M:1M")
    assert limit_at(pair, datetime(2026, 12, 2, 12, 0))[0] == 10 * MIB
    assert limit_at(pair, datetime(2026, 12, 2, 12, 0), upload=False)[0] == MIB


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("512", "a number and a unit"),  # rclone would read KiB/s: Rearguard asks to say it
        ("0", "a number and a unit"),
        ("0K", "would stop every transfer"),
        ("512KB", "is not a rate"),
        ("4 M", "a timetable entry is 'HH:MM,RATE'"),
        ("8:00,1M", "is not a time of day"),
        ("24:00,1M", "is not a time of day"),
        ("08:00,1M,", "a timetable entry"),
        ("Someday-08:00,1M", "is not a day of the week"),
        ("08:00,fast", "is not a rate"),
        ("-1M", "is not a rate"),
    ],
)
def test_bad_limits_are_named(text: str, says: str) -> None:
    problem = bwlimit_problem(text)
    assert problem is not None and says in problem


def test_a_mirror_takes_one_rate_rclone_a_pair() -> None:
    assert bwlimit_problem("10M:1M") is None
    assert "pair is for rclone" in (bwlimit_problem("10M:1M", pairs=False) or "")


def test_bad_bwlimit_in_a_profile_is_exit_2_naming_the_key() -> None:
    mirror = 'kind = "mirror"\n[mirror]\nsource = "/a"\nreplica = "/b"\nbwlimit = "fast"\n'
    rclone = 'kind = "rclone"\n[rclone]\nsource = "/a"\nremote = "r:b"\nbwlimit = "08:00,1M 25:00,off"\n'
    for text, where in ((mirror, "[mirror].bwlimit:"), (rclone, "[rclone].bwlimit:")):
        with pytest.raises(ProfileError) as caught:
            parse_profile_text(text, "p")
        assert caught.value.exit_code == 2 and where in str(caught.value)
    good = parse_profile_text(rclone.replace("25:00", "19:00"), "p")
    assert good.spec.rclone.bwlimit == "08:00,1M 19:00,off"  # type: ignore[union-attr]


def test_the_limit_in_words() -> None:
    assert format_rate(4 * MIB) == "4 MiB/s" and format_rate(512 * 1024) == "512 KiB/s"
    assert format_rate(1.5 * MIB) == "1.5 MiB/s" and format_rate(100) == "100 B/s"
    assert describe_limit(4 * MIB, datetime(2026, 11, 30, 19, 0)) == "limited to 4 MiB/s until 19:00"
    assert describe_limit(None, datetime(2026, 11, 30, 8, 0)) == "no limit until 08:00"
    assert describe_limit(4 * MIB, None) == "limited to 4 MiB/s"
