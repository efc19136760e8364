"""A profile's time window (``[schedule] window = "19:00-07:00"``), as text and as minutes of the day.

Only the parsing lives here (the profile model validates with it); when a window opens and closes
around a moment is the schedule's rule, in ``engine.schedule.slots``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MINUTES_PER_DAY = 24 * 60
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def parse_hhmm(text: str) -> int:
    """``"19:00"`` as minutes after midnight; ValueError for anything else."""
    match = _HHMM.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text.strip()!r} is not a time of day; use 'HH:MM', e.g. '19:00'")
    return int(match.group(1)) * 60 + int(match.group(2))


def format_hhmm(minutes: int) -> str:
    minutes %= MINUTES_PER_DAY
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class TimeWindow:
    """From ``start`` (included) to ``end`` (excluded), minutes after local midnight; may wrap midnight."""

    start: int
    end: int

    @property
    def wraps(self) -> bool:
        return self.end < self.start

    @property
    def length(self) -> int:
        """Minutes the window is open each day."""
        return (self.end - self.start) % MINUTES_PER_DAY

    def contains(self, minute_of_day: float) -> bool:
        """True when ``minute_of_day`` (fractions allowed) falls inside the window."""
        if self.wraps:
            return minute_of_day >= self.start or minute_of_day < self.end
        return self.start <= minute_of_day < self.end

    def __str__(self) -> str:
        return f"{format_hhmm(self.start)}-{format_hhmm(self.end)}"


def parse_window(text: str) -> TimeWindow:
    """``"19:00-07:00"`` → TimeWindow; ValueError naming what is wrong."""
    parts = text.strip().split("-")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise ValueError(f"{text.strip()!r} is not a window; use 'HH:MM-HH:MM', e.g. '19:00-07:00'")
    start, end = (parse_hhmm(p) for p in parts)
    if start == end:
        raise ValueError(
            f"{text.strip()!r} starts and ends at the same time; leave window out to run at any time"
        )
    return TimeWindow(start, end)
