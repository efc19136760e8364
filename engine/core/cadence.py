"""What ``[schedule] every`` and ``at`` mean as wall-clock times: the one grid the app's scheduler,
systemd timers and Task Scheduler tasks all fire on.

- Under a day: each local day at ``at`` (midnight without it) and every ``every`` after it until
  the next day's ``at`` (an interval that does not divide a day restarts there): ``5h`` at 02:00 is
  02, 07, 12, 17, 22 every day.
- A day or more: ``at`` plus whole multiples of ``every``, counted in local wall-clock minutes from
  Monday 1 January 2001 (``EPOCH``), so whole days run on across month ends: ``3d`` is every third
  day, ``7d`` every Monday, ``36h`` 02:00 one day and 14:00 the next-but-one.

So every schedule is a fixed list of (day in a cycle of ``period_days``, minute of the day), which
each OS scheduler can be given exactly. Only what can be given exactly is accepted
(``every_problem``); ``engine.schedule.slots`` turns the grid into moments, and
``engine.schedule.systemd_units`` / ``task_xml`` into timers and tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from math import gcd

MINUTES_PER_DAY = 24 * 60
EPOCH = date(2001, 1, 1)  # a Monday, and the first year of a four-year leap cycle (see systemd_units)
MAX_WHOLE_DAYS = 7
EVERY_THAT_WORKS = "an interval under a day ('15m' … '23h'), whole days from '1d' to '7d', or '36h'"


@dataclass(frozen=True)
class Cadence:
    """The slots of a schedule: on each day whose index from ``EPOCH`` is ``day`` modulo
    ``period_days``, at ``minute`` (local wall clock) — for every (day, minute) in ``times``."""

    every_minutes: int
    at_minute: int
    period_days: int
    times: tuple[tuple[int, int], ...]  # sorted (day in the cycle, minute of the day)

    @property
    def under_a_day(self) -> bool:
        return self.every_minutes < MINUTES_PER_DAY

    def minutes_on(self, day: date) -> list[int]:
        """The minutes of ``day`` (local) that are slots, in order."""
        index = (day - EPOCH).days % self.period_days
        return [minute for cycle_day, minute in self.times if cycle_day == index]


def every_problem(every: timedelta) -> str | None:
    """Why ``every`` cannot be run at the same times by the app, systemd and Task Scheduler, or None."""
    seconds = every.total_seconds()
    if seconds % 60:
        return "must be a whole number of minutes"
    minutes = int(seconds) // 60
    if minutes < MINUTES_PER_DAY:
        return None
    if minutes % MINUTES_PER_DAY == 0 and minutes // MINUTES_PER_DAY <= MAX_WHOLE_DAYS:
        return None
    if minutes == 36 * 60:
        return None
    return "cannot be kept at the same times by Task Scheduler and systemd timers; use " + EVERY_THAT_WORKS


def _hhmm(at: str | None) -> int:
    if at is None:
        return 0
    hour, minute = at.split(":")
    return int(hour) * 60 + int(minute)


@lru_cache(maxsize=256)
def cadence(every: timedelta, at: str | None) -> Cadence:
    """The grid of ``every`` (whole minutes) starting at ``at`` (``"HH:MM"``, midnight when None)."""
    every_minutes = int(every.total_seconds()) // 60
    if every_minutes <= 0:
        raise ValueError("every must be at least a minute")
    start = _hhmm(at)
    if every_minutes < MINUTES_PER_DAY:
        minutes = sorted(
            {(start + k * every_minutes) % MINUTES_PER_DAY for k in _steps_in_a_day(every_minutes)}
        )
        return Cadence(every_minutes, start, 1, tuple((0, m) for m in minutes))
    step = gcd(every_minutes, MINUTES_PER_DAY)
    period = every_minutes // step
    times = set()
    for k in range(MINUTES_PER_DAY // step):  # the distinct times of day, one per slot in a cycle
        total = start + k * every_minutes
        times.add(((total // MINUTES_PER_DAY) % period, total % MINUTES_PER_DAY))
    return Cadence(every_minutes, start, period, tuple(sorted(times)))


def _steps_in_a_day(every_minutes: int) -> range:
    """k = 0, 1, … while k × every stays inside the day that starts at ``at``."""
    return range(-(-MINUTES_PER_DAY // every_minutes))
