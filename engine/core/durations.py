"""Durations as people write them: ``"30m"``, ``"4h"``, ``"1d"``, ``"90s"`` or plain hours ``"0.5"``."""

from __future__ import annotations

import math
import re
from datetime import timedelta

MIN_SCHEDULE_INTERVAL = timedelta(minutes=15)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)


def parse_duration(text: str | float | int, *, plain_unit: str = "h") -> timedelta:
    """Parse a duration; a bare number counts in ``plain_unit`` (hours by default).

    Raises ValueError with a message that says what is accepted.
    """
    if isinstance(text, bool):
        raise ValueError("expected a duration such as '30m', '4h' or '1d'")
    if isinstance(text, int | float):
        value, unit = float(text), plain_unit
    else:
        match = _PATTERN.match(text)
        if not match:
            raise ValueError(f"{text!r} is not a duration; use e.g. '30m', '4h', '1d' or hours '0.5'")
        value, unit = float(match.group(1)), (match.group(2) or plain_unit).lower()
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{text!r} is not a duration; it must be a positive number")
    seconds = value * _UNITS[unit]
    if seconds > 3650 * 86400:
        raise ValueError(f"{text!r} is too long (at most 10 years)")
    return timedelta(seconds=seconds)


MIN_RETENTION = timedelta(days=1)
_BARE_NUMBER = re.compile(r"^\s*[+-]?\d+(?:\.\d*)?\s*$")


def parse_retention(text: str) -> timedelta:
    """How long something is kept (``keep_versions``): a duration with a unit, at least a day.

    A bare number or ``"0"`` is refused, never read as "keep nothing": ``"30"`` could mean 30
    hours or 30 days, and a zero would remove every version after each run.
    """
    if isinstance(text, bool) or not isinstance(text, str) or _BARE_NUMBER.match(text):
        raise ValueError(f"{text!r} needs a unit, e.g. '30d' (days) or '2w' (weeks)")
    value = parse_duration(text)
    if value < MIN_RETENTION:
        raise ValueError(f"{text!r} is too short; keep things at least one day ('1d')")
    return value


def format_duration(delta: timedelta) -> str:
    """Render a duration compactly: ``"4h"``, ``"1h30m"``, ``"12.3s"``."""
    total = delta.total_seconds()
    if total < 60:
        return f"{total:.1f}s"
    minutes, _ = divmod(round(total), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [(days, "d"), (hours, "h"), (minutes, "m")]
    return "".join(f"{n}{u}" for n, u in parts if n) or "0m"
