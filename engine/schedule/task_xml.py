"""Windows Task Scheduler definitions (schema 1.2 XML) for a profile's schedule, built as a tree.

Pure functions only, tested on every OS; ``engine.schedule.os_backends`` registers the XML through
the Task Scheduler COM API (``task_com``). The task runs whether the user is logged on or not,
never twice at once (IgnoreNew), starts a missed run as soon as it can (StartWhenAvailable) and
may wake the computer. Its triggers fire on the grid of ``engine.core.cadence``, like the app and
the systemd timer: under a day, one daily trigger at ``at`` repeated every ``every`` for a day; a
day or more, one trigger every N days per time of day (``36h``: two, each every third day).
"""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from engine.core.cadence import EPOCH, Cadence, cadence
from engine.core.profiles import Schedule

TASK_FOLDER = "\\Rearguard\\"
NAMESPACE = "http://schemas.microsoft.com/windows/2004/02/mit/task"
_BAD_TASK_CHARS = '\\/:*?"<>|'
LOGON_S4U = "S4U"  # no stored password: runs logged on or not, local resources only
LOGON_PASSWORD = "Password"  # stored password: network shares work too
LOGON_SYSTEM = "ServiceAccount"
SYSTEM_SID = "S-1-5-18"
REPEAT_FOR = timedelta(days=1)  # a daily trigger's repetition covers the day up to the next one


def task_name(profile_name: str) -> str:
    """``\\Rearguard\\<name>``, with any character Task Scheduler refuses turned into ``_``."""
    safe = "".join("_" if c in _BAD_TASK_CHARS or ord(c) < 32 else c for c in profile_name)
    return TASK_FOLDER + safe


def iso_duration(interval: timedelta) -> str:
    """An XML duration (``PT4H``, ``P2D``, ``PT1H30M``) for a whole number of minutes."""
    minutes = int(interval.total_seconds()) // 60
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    text = "P" + (f"{days}D" if days else "")
    if hours or mins:
        text += "T" + (f"{hours}H" if hours else "") + (f"{mins}M" if mins else "")
    return text if text != "P" else "PT0M"


@dataclass(frozen=True)
class Trigger:
    """One CalendarTrigger: from ``start`` (local time) every ``days`` days, repeated inside the day."""

    start: datetime
    days: int
    repeat_every: timedelta | None = None  # with repetition, for ``REPEAT_FOR`` after each start


def triggers(schedule: Schedule, start_day: date) -> list[Trigger]:
    """The triggers that fire on the schedule's slots from ``start_day`` on."""
    grid = cadence(schedule.interval, schedule.at)
    if grid.under_a_day:
        start = datetime.combine(start_day, time()) + timedelta(minutes=grid.at_minute)
        repeat = None if grid.every_minutes == 1440 else timedelta(minutes=grid.every_minutes)
        return [Trigger(start, 1, repeat)]
    return [_cycle_trigger(grid, cycle_day, minute, start_day) for cycle_day, minute in grid.times]


def _cycle_trigger(grid: Cadence, cycle_day: int, minute: int, start_day: date) -> Trigger:
    """Every ``period_days`` days from the first day on or after ``start_day`` that is ``cycle_day``."""
    wait = (cycle_day - (start_day - EPOCH).days) % grid.period_days
    day = start_day + timedelta(days=wait)
    return Trigger(datetime.combine(day, time()) + timedelta(minutes=minute), grid.period_days)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _add_trigger(parent: ET.Element, trigger: Trigger) -> None:
    # triggerBaseType is a sequence: Enabled, StartBoundary, Repetition, then the schedule.
    element = _sub(parent, "CalendarTrigger")
    _sub(element, "Enabled", "true")
    _sub(element, "StartBoundary", trigger.start.isoformat(timespec="seconds"))
    if trigger.repeat_every is not None:
        repetition = _sub(element, "Repetition")
        _sub(repetition, "Interval", iso_duration(trigger.repeat_every))
        _sub(repetition, "Duration", iso_duration(REPEAT_FOR))
        _sub(repetition, "StopAtDurationEnd", "false")
    by_day = _sub(element, "ScheduleByDay")
    _sub(by_day, "DaysInterval", str(trigger.days))


def _add_principal(parent: ET.Element, user: str | None, logon: str) -> None:
    principal = _sub(_sub(parent, "Principals"), "Principal", id="Author")
    if logon == LOGON_SYSTEM:
        _sub(principal, "UserId", SYSTEM_SID)
        _sub(principal, "RunLevel", "HighestAvailable")
        return
    if user:
        _sub(principal, "UserId", user)
    _sub(principal, "LogonType", logon)
    _sub(principal, "RunLevel", "LeastPrivilege")


_SETTINGS = (
    ("MultipleInstancesPolicy", "IgnoreNew"),
    ("DisallowStartIfOnBatteries", "false"),
    ("StopIfGoingOnBatteries", "false"),
    ("StartWhenAvailable", "true"),
    ("RunOnlyIfNetworkAvailable", "false"),
)


def task_element(
    profile_name: str,
    schedule: Schedule,
    command_argv: Sequence[str],
    *,
    user: str | None = None,
    logon: str = LOGON_S4U,
    wake: bool = False,
    start_day: date | None = None,
) -> ET.Element:
    """The ``<Task>`` tree that runs ``command_argv`` on the profile's schedule."""
    if not command_argv:
        raise ValueError("command_argv is empty")
    program, *args = list(command_argv)
    # Unprefixed names in the task namespace, as Task Scheduler itself writes them.
    task = ET.Element("Task", {"version": "1.2", "xmlns": NAMESPACE})
    info = _sub(task, "RegistrationInfo")
    _sub(info, "Description", f"Rearguard backup: {profile_name}")
    _sub(info, "URI", task_name(profile_name))
    found = _sub(task, "Triggers")
    for trigger in triggers(schedule, start_day or date.today()):
        _add_trigger(found, trigger)
    _add_principal(task, user, logon)
    settings = _sub(task, "Settings")
    for tag, value in (*_SETTINGS, ("WakeToRun", "true" if wake else "false")):
        _sub(settings, tag, value)
    _sub(settings, "ExecutionTimeLimit", "PT0S")
    _sub(settings, "Enabled", "true")
    actions = _sub(task, "Actions", Context="Author")
    exec_ = _sub(actions, "Exec")
    _sub(exec_, "Command", program)
    if args:
        _sub(exec_, "Arguments", subprocess.list2cmdline(args))
    return task


def task_xml(
    profile_name: str,
    schedule: Schedule,
    command_argv: Sequence[str],
    *,
    user: str | None = None,
    logon: str = LOGON_S4U,
    wake: bool = False,
    start_day: date | None = None,
) -> str:
    """The Task Scheduler XML (as registered, and as ``schedule install --print`` shows it)."""
    task = task_element(
        profile_name, schedule, command_argv, user=user, logon=logon, wake=wake, start_day=start_day
    )
    ET.indent(task, space="  ")
    body = ET.tostring(task, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-16"?>\n' + body + "\n"
