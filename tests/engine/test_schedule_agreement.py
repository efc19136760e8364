"""One schedule, three schedulers: for every ``every``/``at`` of the table, the app's slots
(engine.schedule.slots), the systemd timer's OnCalendar lines (expanded by systemd itself through
``systemd-analyze calendar``) and the Task Scheduler task (expanded by a model of its documented
trigger semantics, tests/fakes/task_scheduler.py) fire at exactly the same times over 45 days that
cross two month ends and a leap day; the whole-day cycles also over the years up to 2100.
All in UTC, so a daylight-saving change plays no part (see the README on that)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta

import pytest

from engine.core.profiles import Schedule
from engine.schedule import systemd_units, task_xml
from engine.schedule.slots import slot_after
from tests.fakes import task_scheduler

EVERY = ["15m", "45m", "4h", "5h", "7h", "36h", "1d", "2d", "3d", "7d"]
AT = [None, "00:00", "02:10", "13:45", "23:59"]
START = datetime(2028, 1, 20)  # to 5 March 2028: the ends of January and February (29 days)
END = START + timedelta(days=45)
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
_ELAPSE = re.compile(r"(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC")
COMMAND = [r"C:\Program Files\Rearguard\rearguard-cli.exe", "run", "--scheduled", "night"]


def app_slots(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    """The app's own slots in [start, end), as naive UTC times."""
    found, moment = [], start.replace(tzinfo=UTC) - timedelta(microseconds=1)
    while True:
        moment = slot_after(schedule, moment, tz=UTC)
        if moment >= end.replace(tzinfo=UTC):
            return found
        found.append(moment.replace(tzinfo=None))


def systemd_slots(schedule: Schedule, start: datetime, end: datetime, most: int) -> list[datetime]:
    """What systemd makes of the timer's OnCalendar lines in [start, end) (``most`` times a line)."""
    assert SYSTEMD_ANALYZE is not None
    specs = [line.removeprefix("OnCalendar=") for line in systemd_units.timer_schedule_lines(schedule)]
    base = (start - timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S UTC")
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "calendar", f"--base-time={base}", f"--iterations={most}", *specs],
        capture_output=True,
        text=True,
        env={**os.environ, "TZ": "UTC", "SYSTEMD_COLORS": "0"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    moments = {datetime.fromisoformat(m) for m in _ELAPSE.findall(result.stdout)}
    return sorted(m for m in moments if start <= m < end)


def task_slots(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    """When the Task Scheduler task, registered the day before ``start``, starts in [start, end)."""
    xml = task_xml.task_xml("night", schedule, COMMAND, start_day=start.date() - timedelta(days=1))
    assert task_scheduler.schema_problems(xml) == []
    return task_scheduler.fire_times(xml, start, end)


CASES = [(every, at) for every in EVERY for at in AT]


@pytest.mark.parametrize(("every", "at"), CASES)
def test_the_task_fires_at_the_apps_slots(every: str, at: str | None) -> None:
    schedule = Schedule(every=every, at=at)
    expected = app_slots(schedule, START, END)
    assert len(expected) >= 45 // 7
    assert task_slots(schedule, START, END) == expected


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (it is on Debian)")
@pytest.mark.parametrize(("every", "at"), CASES)
def test_the_systemd_timer_fires_at_the_apps_slots(every: str, at: str | None) -> None:
    schedule = Schedule(every=every, at=at)
    expected = app_slots(schedule, START, END)
    assert systemd_slots(schedule, START, END, most=len(expected) + 5) == expected


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (it is on Debian)")
@pytest.mark.parametrize("every", ["2d", "3d", "36h"])
def test_whole_day_cycles_hold_every_year_until_2100(every: str) -> None:
    """The written-out days repeat with the four-year leap cycle: right every day up to February 2100."""
    schedule = Schedule(every=every, at="02:10")
    start, end = datetime(2026, 12, 1), datetime(2100, 2, 28)
    expected = app_slots(schedule, start, end)
    assert systemd_slots(schedule, start, end, most=len(expected) + 5) == expected
    assert task_slots(schedule, start, end) == expected


def test_thirty_six_hours_no_longer_means_daily_or_an_invalid_task() -> None:
    """The issue's case: 36h was daily under systemd and a task Task Scheduler refuses."""
    schedule = Schedule(every="36h", at="02:00")
    xml = task_xml.task_xml("night", schedule, COMMAND, start_day=date(2026, 11, 27))
    assert task_scheduler.schema_problems(xml) == []
    assert len(task_scheduler.triggers_of(xml)) == 2
    assert all(t.days == 3 and t.interval is None for t in task_scheduler.triggers_of(xml))
    assert "*-*-* 02:00" not in "\n".join(systemd_units.timer_schedule_lines(schedule))


# -- the model itself: it must catch what Task Scheduler refuses -------------------------------

_OLD_36H = """<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <Triggers><CalendarTrigger>
    <Repetition><Interval>P1DT12H</Interval><Duration>P1D</Duration></Repetition>
    <StartBoundary>2026-11-27T02:00:00</StartBoundary><Enabled>true</Enabled>
    <ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay>
  </CalendarTrigger></Triggers>
  <Actions Context="Nobody"><Exec><Arguments>run</Arguments><Command>x.exe</Command></Exec></Actions>
</Task>
"""


def test_the_schema_rules_catch_what_the_old_xml_got_wrong() -> None:
    problems = "\n".join(task_scheduler.schema_problems(_OLD_36H))
    assert "Interval P1DT12H is longer than Duration P1D" in problems
    assert "not in the schema's order" in problems  # Repetition before StartBoundary and Enabled
    assert "names no Principal" in problems
    assert "Exec: ['Arguments', 'Command']" in problems
    missing = _OLD_36H.replace(_OLD_36H[_OLD_36H.index("  <Actions") : _OLD_36H.index("</Task>")], "")
    assert "Actions is required" in task_scheduler.schema_problems(missing)
    with pytest.raises(ValueError):
        task_scheduler.parse_duration("P1M")  # a month has no fixed length
    assert task_scheduler.parse_duration("P1DT2H30M") == timedelta(days=1, hours=2, minutes=30)


def test_the_model_repeats_as_documented() -> None:
    """Microsoft: an interval of one minute for four minutes launches the task five times."""
    xml = task_xml.task_xml("n", Schedule(every="1d", at="10:00"), COMMAND, start_day=date(2026, 1, 1))
    xml = xml.replace(
        "</StartBoundary>",
        "</StartBoundary><Repetition><Interval>PT1M</Interval><Duration>PT4M</Duration></Repetition>",
    )
    assert task_scheduler.schema_problems(xml) == []
    fired = task_scheduler.fire_times(xml, datetime(2026, 1, 1), datetime(2026, 1, 2))
    assert [f.strftime("%H:%M") for f in fired] == ["10:00", "10:01", "10:02", "10:03", "10:04"]
