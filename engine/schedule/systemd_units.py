"""systemd unit files for a profile's schedule: a oneshot service that runs the profile and a timer
that starts it (``Persistent=true``: a start missed while the machine was off is caught up once).

Pure functions only; ``engine.schedule.os_scheduler`` writes and enables them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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


def _hhmm(at: str | None) -> tuple[int, int]:
    if at is None:
        return 0, 0
    hour, minute = at.split(":")
    return int(hour), int(minute)


def timer_schedule_lines(schedule: Schedule) -> list[str]:
    """The timer's ``OnCalendar`` lines for ``every`` (and ``at``), as the app's slot rules place them.

    Slots start each day at ``at`` (midnight without it) and repeat every ``every`` until the next
    day's ``at`` (an interval that does not divide a day restarts there), so a day's slots are a
    fixed list of times: one line per distinct minute, or ``*:MM/step`` when the interval divides
    an hour. Whole days: ``*-*-1/N`` (systemd's day step restarts on the 1st of each month).
    """
    minutes = int(schedule.interval.total_seconds()) // 60
    hour, minute = _hhmm(schedule.at)
    if minutes % 1440 == 0:
        days = minutes // 1440
        day = "*-*-*" if days == 1 else f"*-*-1/{days}"
        return [f"OnCalendar={day} {hour:02d}:{minute:02d}:00"]
    if minutes == 60:
        return [f"OnCalendar=*-*-* *:{minute:02d}:00"]
    if 60 % minutes == 0:
        return [f"OnCalendar=*-*-* *:{minute % minutes:02d}/{minutes}:00"]
    start = hour * 60 + minute
    by_minute: dict[int, set[int]] = {}
    for offset in range(0, 1440, minutes):
        slot = (start + offset) % 1440
        by_minute.setdefault(slot % 60, set()).add(slot // 60)
    return [
        f"OnCalendar=*-*-* {','.join(f'{h:02d}' for h in sorted(hours))}:{m:02d}:00"
        for m, hours in sorted(by_minute.items())
    ]


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
        *timer_schedule_lines(schedule),
        "Persistent=true",
        "AccuracySec=1min",
    ]
    if wake:
        lines.append("WakeSystem=true")
    lines += ["", "[Install]", "WantedBy=timers.target", ""]
    return "\n".join(lines)
