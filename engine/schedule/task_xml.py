"""Windows Task Scheduler definitions (schema 1.2 XML) for a profile's schedule.

Pure functions only, tested on every OS; ``engine.schedule.os_scheduler`` registers them with ``schtasks``.
The task runs whether the user is logged on or not, never twice at once (IgnoreNew), starts a
missed run as soon as it can (StartWhenAvailable) and may wake the computer.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from datetime import date, timedelta
from xml.sax.saxutils import escape

from engine.core.profiles import Schedule

TASK_FOLDER = "\\Rearguard\\"
_BAD_TASK_CHARS = '\\/:*?"<>|'
LOGON_S4U = "S4U"  # no stored password: runs logged on or not, local resources only
LOGON_PASSWORD = "Password"  # stored password: network shares work too
LOGON_SYSTEM = "ServiceAccount"
SYSTEM_SID = "S-1-5-18"


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


def _trigger(schedule: Schedule, start_day: date) -> str:
    every = schedule.interval
    at = schedule.at or "00:00"
    boundary = f"{start_day.isoformat()}T{at}:00"
    whole_days = every.total_seconds() % 86400 == 0
    repetition = ""
    if not whole_days:
        # Repeats inside each day from ``at``; an interval that does not divide a day restarts
        # at ``at`` the next day, as the app's own slot rules do.
        repetition = (
            "      <Repetition>\n"
            f"        <Interval>{iso_duration(every)}</Interval>\n"
            "        <Duration>P1D</Duration>\n"
            "        <StopAtDurationEnd>false</StopAtDurationEnd>\n"
            "      </Repetition>\n"
        )
    days = max(1, int(every.total_seconds() // 86400)) if whole_days else 1
    return (
        "    <CalendarTrigger>\n"
        f"{repetition}"
        f"      <StartBoundary>{boundary}</StartBoundary>\n"
        "      <Enabled>true</Enabled>\n"
        "      <ScheduleByDay>\n"
        f"        <DaysInterval>{days}</DaysInterval>\n"
        "      </ScheduleByDay>\n"
        "    </CalendarTrigger>\n"
    )


def _principal(user: str | None, logon: str) -> str:
    if logon == LOGON_SYSTEM:
        return (
            '    <Principal id="Author">\n'
            f"      <UserId>{SYSTEM_SID}</UserId>\n"
            "      <RunLevel>HighestAvailable</RunLevel>\n"
            "    </Principal>\n"
        )
    user_line = f"      <UserId>{escape(user)}</UserId>\n" if user else ""
    return (
        '    <Principal id="Author">\n'
        f"{user_line}"
        f"      <LogonType>{logon}</LogonType>\n"
        "      <RunLevel>LeastPrivilege</RunLevel>\n"
        "    </Principal>\n"
    )


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
    """The Task Scheduler XML that runs ``command_argv`` on the profile's schedule."""
    if not command_argv:
        raise ValueError("command_argv is empty")
    program, *args = list(command_argv)
    arguments = subprocess.list2cmdline(args)
    day = start_day or date.today()
    return (
        '<?xml version="1.0" encoding="UTF-16"?>\n'
        '<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">\n'
        "  <RegistrationInfo>\n"
        f"    <Description>{escape(f'Rearguard backup: {profile_name}')}</Description>\n"
        f"    <URI>{escape(task_name(profile_name))}</URI>\n"
        "  </RegistrationInfo>\n"
        "  <Triggers>\n"
        f"{_trigger(schedule, day)}"
        "  </Triggers>\n"
        "  <Principals>\n"
        f"{_principal(user, logon)}"
        "  </Principals>\n"
        "  <Settings>\n"
        "    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>\n"
        "    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>\n"
        "    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>\n"
        "    <StartWhenAvailable>true</StartWhenAvailable>\n"
        "    <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>\n"
        f"    <WakeToRun>{'true' if wake else 'false'}</WakeToRun>\n"
        "    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>\n"
        "    <Enabled>true</Enabled>\n"
        "  </Settings>\n"
        '  <Actions Context="Author">\n'
        "    <Exec>\n"
        f"      <Command>{escape(program)}</Command>\n"
        + (f"      <Arguments>{escape(arguments)}</Arguments>\n" if arguments else "")
        + "    </Exec>\n"
        "  </Actions>\n"
        "</Task>\n"
    )
