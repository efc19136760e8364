"""A small model of Windows Task Scheduler for tests that cannot run it: the rules of Microsoft's
task schema (1.2) that Rearguard's XML touches, and when a task's calendar triggers fire.

Sources: the Task Scheduler schema and [MS-TSCH] 2.5: taskType (Actions required, the others
optional), triggerBaseType (a sequence: Enabled, StartBoundary, EndBoundary, Repetition,
ExecutionTimeLimit), calendarTriggerType (StartBoundary required; RandomDelay, then exactly one
ScheduleBy…), repetitionType (Interval PT1M…P31D, Duration at least PT1M; Task Scheduler refuses an
Interval longer than the Duration), dailyScheduleType (DaysInterval 1…365), at most 48 triggers
and 32 actions, principalType's enumerations, settingsType's booleans and policies.

Firing (RepetitionPattern's documented semantics): a daily trigger starts at StartBoundary's time
every DaysInterval days from StartBoundary's day; with a Repetition it starts again every Interval
until Duration has passed, the end included ("an interval of one minute and a duration of four
minutes launch the task five times"). Times without a zone are the computer's local time.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta

NS = "http://schemas.microsoft.com/windows/2004/02/mit/task"
_Q = f"{{{NS}}}"
_DURATION = re.compile(
    r"^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$"
)
_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d)?$")
_TRIGGER_BASE = ("Enabled", "StartBoundary", "EndBoundary", "Repetition", "ExecutionTimeLimit")
_SCHEDULES = ("ScheduleByDay", "ScheduleByWeek", "ScheduleByMonth", "ScheduleByMonthDayOfWeek")
_TASK_CHILDREN = ("RegistrationInfo", "Triggers", "Settings", "Data", "Principals", "Actions")
_LOGON_TYPES = ("S4U", "Password", "InteractiveToken", "InteractiveTokenOrPassword", "ServiceAccount", "None")
_POLICIES = ("Parallel", "Queue", "IgnoreNew", "StopExisting")
_BOOLEAN_SETTINGS = (
    "AllowStartOnDemand",
    "DisallowStartIfOnBatteries",
    "StopIfGoingOnBatteries",
    "AllowHardTerminate",
    "StartWhenAvailable",
    "RunOnlyIfNetworkAvailable",
    "WakeToRun",
    "Enabled",
    "Hidden",
)


def parse_duration(text: str) -> timedelta:
    """An xs:duration as Task Scheduler uses it; years and months are refused (not a fixed length)."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an ISO 8601 duration")
    years, months, days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    if years or months:
        raise ValueError(f"{text!r}: years and months have no fixed length")
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _local(tag: str) -> str:
    return tag.removeprefix(_Q)


def _children(element: ET.Element) -> list[str]:
    return [_local(child.tag) for child in element]


def schema_problems(xml_text: str) -> list[str]:
    """Every broken rule of the task schema that applies to the XML (empty when it passes)."""
    declaration, _, body = xml_text.partition("\n")
    problems: list[str] = []
    if not declaration.startswith("<?xml") or 'encoding="UTF-16"' not in declaration:
        problems.append("the declaration must say UTF-16 (the XML is registered as UTF-16 text)")
    root = ET.fromstring(body)
    if root.tag != f"{_Q}Task":
        return [f"the root is {root.tag}, not Task in {NS}"]
    if not re.fullmatch(r"\d+(\.\d+){1,3}", root.get("version", "")):
        problems.append("Task needs a version such as 1.2")
    names = _children(root)
    for name in names:
        if name not in _TASK_CHILDREN:
            problems.append(f"Task has an unknown element {name}")
    for name in set(names):
        if names.count(name) > 1:
            problems.append(f"Task has {name} twice")
    if "Actions" not in names:
        problems.append("Actions is required")
    problems += _trigger_problems(root)
    problems += _principal_problems(root)
    problems += _settings_problems(root)
    problems += _action_problems(root)
    return problems


def _trigger_problems(root: ET.Element) -> list[str]:
    problems: list[str] = []
    triggers = root.find(f"{_Q}Triggers")
    if triggers is None:
        return problems
    if len(triggers) > 48:
        problems.append(f"{len(triggers)} triggers: at most 48")
    for trigger in triggers:
        name = _local(trigger.tag)
        if name != "CalendarTrigger":
            continue  # the only kind Rearguard writes
        children = _children(trigger)
        base = [c for c in children if c in _TRIGGER_BASE]
        if base != sorted(base, key=_TRIGGER_BASE.index):
            problems.append(f"CalendarTrigger: {base} is not in the schema's order {list(_TRIGGER_BASE)}")
        rest = children[len(base) :]
        if any(c in _TRIGGER_BASE for c in rest):
            problems.append("CalendarTrigger: the common elements must come before the schedule")
        rest = [c for c in rest if c != "RandomDelay"]
        if len(rest) != 1 or rest[0] not in _SCHEDULES:
            problems.append(f"CalendarTrigger needs exactly one of {_SCHEDULES}, has {rest}")
        start = trigger.findtext(f"{_Q}StartBoundary")
        if start is None:
            problems.append("CalendarTrigger: StartBoundary is required")
        elif not _DATETIME.match(start):
            problems.append(f"StartBoundary {start!r} is not an xs:dateTime")
        problems += _repetition_problems(trigger.find(f"{_Q}Repetition"))
        days = trigger.findtext(f"{_Q}ScheduleByDay/{_Q}DaysInterval")
        if days is not None and not (days.isdigit() and 1 <= int(days) <= 365):
            problems.append(f"DaysInterval {days!r} is not 1…365")
    return problems


def _repetition_problems(repetition: ET.Element | None) -> list[str]:
    if repetition is None:
        return []
    problems: list[str] = []
    interval_text = repetition.findtext(f"{_Q}Interval")
    duration_text = repetition.findtext(f"{_Q}Duration")
    if interval_text is None:
        return ["Repetition: Interval is required"]
    try:
        interval = parse_duration(interval_text)
    except ValueError as error:
        return [f"Repetition Interval: {error}"]
    if not timedelta(minutes=1) <= interval <= timedelta(days=31):
        problems.append(f"Repetition Interval {interval_text} is not between PT1M and P31D")
    if duration_text is not None:
        try:
            duration = parse_duration(duration_text)
        except ValueError as error:
            return [*problems, f"Repetition Duration: {error}"]
        if duration < timedelta(minutes=1):
            problems.append(f"Repetition Duration {duration_text} is under PT1M")
        if interval > duration:
            problems.append(f"Repetition Interval {interval_text} is longer than Duration {duration_text}")
    stop = repetition.findtext(f"{_Q}StopAtDurationEnd")
    if stop not in (None, "true", "false"):
        problems.append(f"StopAtDurationEnd {stop!r} is not a boolean")
    return problems


def _principal_problems(root: ET.Element) -> list[str]:
    principals = root.findall(f"{_Q}Principals/{_Q}Principal")
    if len(principals) > 1:
        return ["at most one Principal"]
    problems: list[str] = []
    for principal in principals:
        if principal.find(f"{_Q}UserId") is not None and principal.find(f"{_Q}GroupId") is not None:
            problems.append("Principal: UserId and GroupId exclude each other")
        logon = principal.findtext(f"{_Q}LogonType")
        if logon is not None and logon not in _LOGON_TYPES:
            problems.append(f"LogonType {logon!r} is not one of {_LOGON_TYPES}")
        level = principal.findtext(f"{_Q}RunLevel")
        if level is not None and level not in ("LeastPrivilege", "HighestAvailable"):
            problems.append(f"RunLevel {level!r} is not LeastPrivilege or HighestAvailable")
    actions = root.find(f"{_Q}Actions")
    context = actions.get("Context") if actions is not None else None
    if context is not None and context not in [p.get("id") for p in principals]:
        problems.append(f"Actions Context {context!r} names no Principal id")
    return problems


def _settings_problems(root: ET.Element) -> list[str]:
    settings = root.find(f"{_Q}Settings")
    if settings is None:
        return []
    problems: list[str] = []
    for child in settings:
        name = _local(child.tag)
        if name in _BOOLEAN_SETTINGS and child.text not in ("true", "false"):
            problems.append(f"Settings {name} {child.text!r} is not a boolean")
        elif name == "MultipleInstancesPolicy" and child.text not in _POLICIES:
            problems.append(f"MultipleInstancesPolicy {child.text!r} is not one of {_POLICIES}")
        elif name == "ExecutionTimeLimit":
            try:
                parse_duration(child.text or "")
            except ValueError as error:
                problems.append(f"ExecutionTimeLimit: {error}")
    return problems


def _action_problems(root: ET.Element) -> list[str]:
    actions = root.find(f"{_Q}Actions")
    if actions is None:
        return []
    if not 1 <= len(actions) <= 32:
        return [f"{len(actions)} actions: 1 to 32"]
    problems: list[str] = []
    for action in actions.findall(f"{_Q}Exec"):
        children = _children(action)
        command = action.findtext(f"{_Q}Command")
        if not command or len(command) > 260:
            problems.append("Exec: Command is required, 1 to 260 characters")
        order = ("Command", "Arguments", "WorkingDirectory")
        if children != sorted(children, key=lambda c: order.index(c) if c in order else 99):
            problems.append(f"Exec: {children} is not in the schema's order {list(order)}")
    return problems


@dataclass(frozen=True)
class ModelTrigger:
    start: datetime  # local, naive
    days: int
    interval: timedelta | None
    duration: timedelta | None


def triggers_of(xml_text: str) -> list[ModelTrigger]:
    """The calendar triggers of a task (daily ones: the only kind Rearguard writes)."""
    root = ET.fromstring(xml_text.partition("\n")[2])
    found = []
    for trigger in root.iterfind(f"{_Q}Triggers/{_Q}CalendarTrigger"):
        days = trigger.findtext(f"{_Q}ScheduleByDay/{_Q}DaysInterval")
        assert days is not None, "the model knows daily triggers only"
        interval = trigger.findtext(f"{_Q}Repetition/{_Q}Interval")
        duration = trigger.findtext(f"{_Q}Repetition/{_Q}Duration")
        found.append(
            ModelTrigger(
                start=datetime.fromisoformat(trigger.findtext(f"{_Q}StartBoundary") or ""),
                days=int(days),
                interval=parse_duration(interval) if interval else None,
                duration=parse_duration(duration) if duration else None,
            )
        )
    return found


def fire_times(xml_text: str, start: datetime, end: datetime) -> list[datetime]:
    """Every moment in [start, end) at which the task's triggers start it (local, naive)."""
    moments: set[datetime] = set()
    for trigger in triggers_of(xml_text):
        day_start = trigger.start
        while day_start < end:
            moments.add(day_start)
            if trigger.interval is not None:
                # Without a Duration the pattern repeats indefinitely; with one, until it ends (included).
                limit = trigger.duration if trigger.duration is not None else end - day_start
                step = trigger.interval
                while step <= limit:
                    moments.add(day_start + step)
                    step += trigger.interval
            day_start += timedelta(days=trigger.days)
    return sorted(m for m in moments if start <= m < end)
