"""Times as people read them. Pure Python (no Qt).

When a profile runs next is not decided here: that is the engine's rule alone
(``engine.schedule.slots.next_run``), which the scheduler and the profile list both use."""

from __future__ import annotations

from datetime import datetime, timedelta


def parse_stamp(text: str | None) -> datetime | None:
    """A state-database ISO time as an aware local datetime (None for missing or unreadable)."""
    if not text:
        return None
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None
    return stamp.astimezone()


def describe(stamp: datetime | None, now: datetime, *, never: str = "never") -> str:
    """``today 14:05``, ``yesterday 02:00``, ``tomorrow 02:00``, ``Mon 3 Nov 09:10``."""
    if stamp is None:
        return never
    stamp = stamp.astimezone(now.tzinfo) if stamp.tzinfo and now.tzinfo else stamp
    days = (stamp.date() - now.date()).days
    clock = stamp.strftime("%H:%M")
    if days == 0:
        return f"today {clock}"
    if days == -1:
        return f"yesterday {clock}"
    if days == 1:
        return f"tomorrow {clock}"
    if stamp.year == now.year:
        return f"{stamp:%a} {stamp.day} {stamp:%b} {clock}"
    return f"{stamp:%Y-%m-%d} {clock}"


def describe_age(delta: timedelta) -> str:
    """``under a minute``, ``12 min``, ``5 h``, ``3 days``."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return "under a minute"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def describe_eta(seconds: float | None) -> str:
    """``0:41``, ``1:02:10``; ``—`` when unknown."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "—"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def describe_speed(bytes_per_second: float) -> str:
    from engine.core.report import human_bytes

    return f"{human_bytes(bytes_per_second)}/s" if bytes_per_second > 0 else "—"
