"""Bandwidth limits in rclone's ``--bwlimit`` syntax, for ``[rclone] bwlimit`` and ``[mirror] bwlimit``.

``"20M"`` (a constant limit), ``"off"``, or a timetable: ``"08:00,512K 19:00,off"`` — from each
time on (every day, or ``Mon-08:00`` on one weekday) the limit after the comma applies, until the
next entry; the last entry wraps round to the first. Entries are separated by spaces or ``;``.
Units are binary (K = 1024 bytes), per second; rclone also takes ``UP:DOWN`` pairs (``"10M:1M"``).

Rearguard checks the text before rclone sees it, a little more strictly than rclone: a number
needs a unit (rclone reads a bare ``512`` as KiB/s), and 0 is refused (``off`` means no limit).
``limit_at`` is rclone's own rule (``BwTimetable.LimitAt``), so the mirror, the progress line and
rclone agree on the limit in force.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.core.time_window import format_hhmm, parse_hhmm

_WEEK = 7 * 24 * 60
_DAYS = {
    "sun": 0, "sunday": 0, "mon": 1, "monday": 1, "tue": 2, "tuesday": 2, "wed": 3, "wednesday": 3,
    "thu": 4, "thursday": 4, "fri": 5, "friday": 5, "sat": 6, "saturday": 6,
}  # fmt: skip
_UNITS = {"b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}
_RATE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([bkmgtp])(i?b?)", re.IGNORECASE)
_SEPARATORS = re.compile(r"[ ;]+")


@dataclass(frozen=True)
class BwSlot:
    """From ``minute`` of the week (Sunday 00:00 = 0) on, ``upload`` / ``download`` bytes/s (None: off)."""

    minute: int
    upload: float | None
    download: float | None


@dataclass(frozen=True)
class BwLimit:
    """A parsed ``bwlimit``: no slots for no limit at all; one slot at 0 for a constant limit."""

    text: str
    slots: tuple[BwSlot, ...] = ()

    @property
    def is_set(self) -> bool:
        return any(s.upload is not None or s.download is not None for s in self.slots)

    @property
    def timetable(self) -> bool:
        return len(self.slots) > 1


def _rate(text: str) -> float | None:
    if text.lower() == "off":
        return None
    match = _RATE.fullmatch(text)
    if match is None or (match.group(3) and match.group(3).lower() not in ("i", "ib")):
        raise ValueError(
            f"{text!r} is not a rate; use a number and a unit (B, K, M, G: bytes, KiB, MiB, GiB per second), "
            "e.g. '512K' or '20M', or 'off'"
        )
    value = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if value < 1:
        raise ValueError(f"{text!r} would stop every transfer; use 'off' for no limit")
    return value


def _pair(text: str, pairs: bool) -> tuple[float | None, float | None]:
    if ":" not in text:
        rate = _rate(text)
        return rate, rate
    if not pairs:
        raise ValueError(f"{text!r}: an upload:download pair is for rclone; a mirror takes one rate")
    up, _, down = text.partition(":")
    return _rate(up), _rate(down)


def _when(text: str) -> list[int]:
    """The minutes of the week an entry starts at: its weekday, or every day."""
    day, dash, hhmm = text.rpartition("-")
    if dash and day.lower() not in _DAYS:
        raise ValueError(f"{day!r} is not a day of the week; use Mon, Tue, … or Monday, …")
    minute = parse_hhmm(hhmm)
    days = [_DAYS[day.lower()]] if dash else list(range(7))
    return [d * 1440 + minute for d in days]


def parse_bwlimit(text: str, *, pairs: bool = True) -> BwLimit:
    """Check ``text`` and return its slots; ValueError naming the first problem. ``""`` is no limit."""
    text = text.strip()
    if not text:
        return BwLimit("")
    tokens = [t for t in _SEPARATORS.split(text) if t]
    if len(tokens) == 1 and "," not in tokens[0]:
        up, down = _pair(tokens[0], pairs)
        return BwLimit(text, (BwSlot(0, up, down),))
    slots: list[BwSlot] = []
    for token in tokens:
        when, comma, rate = token.partition(",")
        if not comma or not rate or "," in rate:
            raise ValueError(f"{token!r}: a timetable entry is 'HH:MM,RATE' (e.g. '08:00,512K')")
        up, down = _pair(rate, pairs)
        slots += [BwSlot(minute, up, down) for minute in _when(when)]
    return BwLimit(text, tuple(slots))


def bwlimit_problem(text: str, *, pairs: bool = True) -> str | None:
    try:
        parse_bwlimit(text, pairs=pairs)
    except ValueError as error:
        return str(error)
    return None


def bwlimit_check(*, pairs: bool) -> Callable[[str], str]:
    """A profile field's check: the text stripped, or ValueError with the problem."""

    def check(value: str) -> str:
        problem = bwlimit_problem(value, pairs=pairs)
        if problem:
            raise ValueError(problem)
        return value.strip()

    return check


def _week_minute(moment: datetime) -> int:
    return ((moment.weekday() + 1) % 7) * 1440 + moment.hour * 60 + moment.minute


def _slot_at(limit: BwLimit, week_minute: int) -> BwSlot:
    """rclone's LimitAt: the latest entry at or before now; before the first, the last one listed."""
    found = limit.slots[-1]
    best: int | None = None
    for slot in limit.slots:
        if week_minute < slot.minute:
            continue
        gap = week_minute - slot.minute
        if best is None or gap <= best:
            best, found = gap, slot
    return found


def limit_at(limit: BwLimit, local: datetime, *, upload: bool = True) -> tuple[float | None, datetime | None]:
    """The limit in force at ``local`` (a local time) in bytes/s (None: no limit), and when it changes.

    The change is the next moment (on a whole minute) the timetable gives another rate; None for a
    constant limit.
    """
    if not limit.slots:
        return None, None
    now = _week_minute(local)
    current = _slot_at(limit, now)
    rate = current.upload if upload else current.download
    starts = sorted({s.minute for s in limit.slots})
    base = local.replace(second=0, microsecond=0)
    for ahead in sorted((m - now) % _WEEK or _WEEK for m in starts):
        other = _slot_at(limit, (now + ahead) % _WEEK)
        if (other.upload if upload else other.download) != rate:
            return rate, base + timedelta(minutes=ahead)
    return rate, None


def format_rate(rate: float) -> str:
    """Bytes per second the way rclone spells them: ``4 MiB/s``, ``512 KiB/s``, ``1.5 GiB/s``."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if rate >= size:
            value = rate / size
            return f"{value:.0f} {unit}/s" if value == int(value) or value >= 100 else f"{value:.1f} {unit}/s"
    return f"{rate:.0f} B/s"


def describe_limit(rate: float | None, until: datetime | None) -> str:
    """``limited to 4 MiB/s until 19:00``, ``no limit until 08:00``, or ``limited to 4 MiB/s``."""
    head = f"limited to {format_rate(rate)}" if rate is not None else "no limit"
    if until is None:
        return head
    return f"{head} until {format_hhmm(until.hour * 60 + until.minute)}"
