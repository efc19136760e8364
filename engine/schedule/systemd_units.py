"""systemd unit files for a profile's schedule: a oneshot service that runs the profile and a timer
that starts it (``Persistent=true``: a start missed while the machine was off is caught up once).

Pure functions only; ``engine.schedule.os_scheduler`` writes and enables them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from math import gcd

from engine.core.cadence import EPOCH, cadence
from engine.core.profiles import Schedule

UNIT_PREFIX = "rearguard-"
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.")


def escape(text: str) -> str:
    """``systemd-escape TEXT``: the rules systemd uses to put any string into a unit name."""
    out: list[str] = []
    for index, char in enumerate(text):
        if char == "/":
            out.append("-")
        elif char in _PLAIN and not (index == 0 and char == "."):
            out.append(char)
        else:
            out.extend(f"\\x{byte:02x}" for byte in char.encode("utf-8"))
    return "".join(out)


def unit_base(profile_name: str) -> str:
    """``rearguard-<escaped name>``; add ``.service`` or ``.timer``."""
    return UNIT_PREFIX + escape(profile_name)


def _quote(arg: str) -> str:
    """One ExecStart argument: systemd splits on spaces and expands ``%`` and ``$``."""
    text = arg.replace("%", "%%").replace("$", "$$")
    if text and not any(c in text for c in " \t\"'\\;"):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def timer_schedule_lines(schedule: Schedule) -> list[str]:
    """The timer's ``OnCalendar`` lines: exactly the slots of ``engine.core.cadence``.

    Under a day: the day's fixed times, one line per set of hours sharing their minutes. Whole
    days: every day, a weekday for ``7d``, and otherwise the days written out per month for a leap
    cycle (``2001/4-03-02/3``), since systemd's own day step (``*-*-1/3``) restarts on the 1st.
    """
    grid = cadence(schedule.interval, schedule.at)
    if grid.period_days == 1:
        return [f"OnCalendar=*-*-* {clock}" for clock in _clock_specs([m for _, m in grid.times])]
    lines = []
    for cycle_day, minute in grid.times:
        clock = f"{minute // 60:02d}:{minute % 60:02d}:00"
        if grid.period_days == 7:
            weekday = _WEEKDAYS[(EPOCH.weekday() + cycle_day) % 7]
            lines.append(f"OnCalendar={weekday} *-*-* {clock}")
        else:
            lines += [f"OnCalendar={day} {clock}" for day in _day_specs(grid.period_days, cycle_day)]
    return lines


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _clock_specs(minutes: list[int]) -> list[str]:
    """``HH,HH:MM,MM:00`` specs covering exactly ``minutes`` (minutes of the day)."""
    hours_by_minute: dict[int, set[int]] = {}
    for total in minutes:
        hours_by_minute.setdefault(total % 60, set()).add(total // 60)
    minutes_by_hours: dict[frozenset[int], list[int]] = {}
    for minute, hours in sorted(hours_by_minute.items()):
        minutes_by_hours.setdefault(frozenset(hours), []).append(minute)
    specs = []
    for hour_set, mins in sorted(minutes_by_hours.items(), key=lambda item: (min(item[0]), item[1])):
        hour_part = "*" if len(hour_set) == 24 else ",".join(f"{h:02d}" for h in sorted(hour_set))
        specs.append(f"{hour_part}:{_minute_part(mins)}:00")
    return specs


def _minute_part(mins: list[int]) -> str:
    """``05/15`` when the minutes are every ``step`` through the hour, else ``05,35``."""
    if len(mins) > 1:
        step = mins[1] - mins[0]
        if 60 % step == 0 and mins == list(range(mins[0], 60, step)) and mins[0] < step:
            return f"{mins[0]:02d}/{step}"
    return ",".join(f"{m:02d}" for m in mins)


def _day_specs(period: int, cycle_day: int) -> list[str]:
    """``YEARS-MONTHS-DAY/period`` specs for the days whose index from EPOCH is ``cycle_day`` mod ``period``.

    Inside a month those days are ``first/period``; which day is first depends on the month and
    the year, and repeats every ``cycle`` years (a multiple of the four-year leap cycle, exact
    from 2001 until February 2100, when the leap day skipped by the Gregorian rule shifts it).
    """
    cycle = 4 * period // gcd(LEAP_CYCLE_DAYS, period)
    years_by_first: dict[tuple[int, int], set[int]] = {}
    for year in range(EPOCH.year, EPOCH.year + cycle):
        for month in range(1, 13):
            offset = (date(year, month, 1) - EPOCH).days
            first = 1 + (cycle_day - offset) % period
            years_by_first.setdefault((month, first), set()).add(year)
    months_by_years: dict[tuple[int, frozenset[int]], list[int]] = {}
    for (month, first), years in sorted(years_by_first.items()):
        months_by_years.setdefault((first, frozenset(years)), []).append(month)
    specs = []
    for (first, year_set), months in sorted(
        months_by_years.items(), key=lambda item: (min(item[1]), item[0][0])
    ):
        year_part = "*" if len(year_set) == cycle else ",".join(f"{y}/{cycle}" for y in sorted(year_set))
        month_part = "*" if len(months) == 12 else ",".join(f"{m:02d}" for m in months)
        specs.append(f"{year_part}-{month_part}-{first:02d}/{period}")
    return specs


LEAP_CYCLE_DAYS = 4 * 365 + 1


def _slots_comment(schedule: Schedule) -> str:
    grid = cadence(schedule.interval, schedule.at)
    if grid.period_days == 1:
        return "the same times every day, as Rearguard's own scheduler runs them"
    return (
        f"a cycle of {grid.period_days} days counted from {EPOCH.isoformat()} across month ends, "
        "written out per month (exact until February 2100)"
    )


def service_text(
    profile_name: str,
    command_argv: Sequence[str],
    *,
    environment: Mapping[str, str] | None = None,
    user: str | None = None,
) -> str:
    """The ``.service`` unit: one run of the profile, exactly as ``rearguard run PROFILE`` does it."""
    lines = [
        "[Unit]",
        f"Description=Rearguard backup: {profile_name}",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=oneshot",
    ]
    if user:
        lines.append(f"User={user}")
    for key, value in sorted((environment or {}).items()):
        lines.append(f"Environment={_quote(f'{key}={value}')}")
    lines.append("ExecStart=" + " ".join(_quote(a) for a in command_argv))
    # Exit 1 (some items failed) and 3 (refused) are results, recorded in the history; keep the
    # unit "failed" for them anyway so `systemctl status` shows something went wrong.
    lines.append("")
    return "\n".join(lines)


def timer_text(profile_name: str, schedule: Schedule, *, wake: bool = False) -> str:
    """The ``.timer`` unit; ``wake`` asks to wake the machine from suspend for a start."""
    lines = [
        "[Unit]",
        f"Description=Rearguard schedule: {profile_name}",
        "",
        "[Timer]",
        f"# every = {schedule.every}, at = {schedule.at or '00:00'}: {_slots_comment(schedule)}",
        *timer_schedule_lines(schedule),
        "Persistent=true",
        "AccuracySec=1min",
    ]
    if wake:
        lines.append("WakeSystem=true")
    lines += ["", "[Install]", "WantedBy=timers.target", ""]
    return "\n".join(lines)
