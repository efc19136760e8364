"""When a scheduled profile runs next: slots, catch-up after sleep, back-off after failures.

Pure functions over datetimes (aware, UTC inside; ``at`` is a local time of day), so the GUI's
scheduler, the OS-scheduler export and the tests share one set of rules:

- Slots are fixed wall-clock times: ``at`` (local time of day, midnight without it) plus whole
  multiples of ``every`` (``engine.core.cadence``: the same grid the OS schedulers are given).
- A slot missed while the machine slept or the app was closed is caught up ONCE, not per slot.
- The next run is computed from the last *good* run; a failure never clears a schedule. After a
  failure the profile is retried with a growing back-off (5 min, 15 min, 1 h, …, never later than
  its next regular slot), so a broken target is neither hammered nor forgotten.
- ``max_runs`` (0 = no limit) stops the schedule after that many runs.
- ``window`` (``"19:00-07:00"``, local times, may wrap midnight): a scheduled run starts only
  inside it. A run due outside it (a slot, a catch-up, a retry) waits for the window's next start;
  one still going at the window's end is told to stop then (``window_end``).
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from datetime import time as dtime

from engine.core.cadence import cadence
from engine.core.profiles import Schedule
from engine.core.time_window import TimeWindow, parse_window
from engine.schedule.wake_clock import sleepless_clock

BACKOFF = (timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1), timedelta(hours=4))


@dataclass(frozen=True)
class History:
    """What the scheduler needs to know about a profile's past runs."""

    last_start: datetime | None = None  # the last run of any outcome
    last_good: datetime | None = None  # the last run that ended ok
    failures_since_good: int = 0
    runs_done: int = 0


def _wall(day: date, minute: int, tz: tzinfo | None) -> datetime:
    """``minute`` of the local ``day`` as UTC (the local clock's offset on that day, DST included)."""
    naive = datetime.combine(day, dtime()) + timedelta(minutes=minute)
    local = naive.replace(tzinfo=tz) if tz is not None else naive.astimezone()
    return local.astimezone(UTC)


def slot_after(schedule: Schedule, moment: datetime, *, tz: tzinfo | None = None) -> datetime:
    """The first regular slot strictly after ``moment``: the grid of ``engine.core.cadence``.

    Slots are fixed wall-clock times, whatever ran when: under a day, ``at`` (midnight without it)
    and every ``every`` after it until the next day's ``at``; a day or more, ``at`` plus whole
    multiples of ``every`` counted from 1 January 2001, so ``3d`` runs on across month ends.
    systemd timers and Task Scheduler tasks are built from the same grid and fire at these times.
    """
    grid = cadence(schedule.interval, schedule.at)
    today = moment.astimezone(tz).date()
    for offset in range(-1, grid.period_days + 2):  # every cycle has a slot: one is in here
        day = today + timedelta(days=offset)
        minutes = grid.minutes_on(day)
        # A day's slots are in order, so the first one after ``moment`` is found by bisection.
        index = bisect.bisect_right(minutes, moment, key=lambda minute: _wall(day, minute, tz))
        if index < len(minutes):
            return _wall(day, minutes[index], tz)
    raise AssertionError("a cycle without a slot")  # pragma: no cover


def next_run(
    schedule: Schedule, history: History, now: datetime, tz: tzinfo | None = None
) -> datetime | None:
    """When the profile should run next (may be in the past: then it is due now, once).

    None when ``max_runs`` is used up.
    """
    if schedule.max_runs and history.runs_done >= schedule.max_runs:
        return None
    if history.last_start is None:
        # Never ran: the first slot (``at`` today or tomorrow), or now when no time of day is set.
        if schedule.at is None:
            return _inside(schedule, now, now, tz)
        return _inside(schedule, slot_after(schedule, now - timedelta(microseconds=1), tz=tz), now, tz)
    # A clock set back makes past runs look like future ones: count them as just now, so the
    # schedule slips by one interval at most, not by the size of the jump.
    last_start = min(history.last_start, now)
    base = min(history.last_good or last_start, now)
    regular = slot_after(schedule, base, tz=tz)
    if history.failures_since_good:
        # After a failure: retry with a growing back-off, never later than the next regular slot.
        step = BACKOFF[min(history.failures_since_good, len(BACKOFF)) - 1]
        retry = last_start + step
        return _inside(schedule, min(retry, slot_after(schedule, last_start, tz=tz)), now, tz)
    return _inside(schedule, regular, now, tz)


def window_of(schedule: Schedule | None) -> TimeWindow | None:
    """The schedule's time window, or None when it has none (runs at any time)."""
    if schedule is None or not schedule.window:
        return None
    return parse_window(schedule.window)


def _opening(window: TimeWindow, moment: datetime, tz: tzinfo | None) -> tuple[datetime, datetime]:
    """The opening of ``window`` that contains ``moment``, or else the next one, as (start, end) in UTC."""
    local = moment.astimezone(tz)
    for days in (-1, 0, 1):  # openings are disjoint and in order: the first not yet over is the one
        day = (local + timedelta(days=days)).date()
        start = datetime.combine(day, dtime(window.start // 60, window.start % 60), tzinfo=local.tzinfo)
        end = start + timedelta(minutes=window.length)
        if moment < end:
            return start.astimezone(UTC), end.astimezone(UTC)
    raise AssertionError("a window opens every day")  # pragma: no cover


def window_open(window: TimeWindow, moment: datetime, tz: tzinfo | None = None) -> bool:
    """True when ``moment`` falls inside the window (its start included, its end not)."""
    start, _ = _opening(window, moment, tz)
    return start <= moment


def window_end(window: TimeWindow, moment: datetime, tz: tzinfo | None = None) -> datetime | None:
    """When the window that ``moment`` falls in closes; None when ``moment`` is outside it."""
    start, end = _opening(window, moment, tz)
    return end if start <= moment else None


def window_start(window: TimeWindow, moment: datetime, tz: tzinfo | None = None) -> datetime:
    """``moment`` itself when inside the window, else when the window next opens."""
    start, _ = _opening(window, moment, tz)
    return moment if start <= moment else start


def _inside(schedule: Schedule, due: datetime, now: datetime, tz: tzinfo | None) -> datetime:
    """``due`` moved to the window's next start when the run would begin outside the window.

    A run that is due already (a missed slot: a catch-up) begins now, so it is now that must fall
    inside; otherwise the due moment itself. A due time inside is kept as it is (in the past when
    the run is due now, so ``missed_slots`` still counts).
    """
    window = window_of(schedule)
    if window is None:
        return due
    begins = max(due, now)
    return due if window_open(window, begins, tz) else window_start(window, begins, tz)


def waits_for_window(
    schedule: Schedule, history: History, now: datetime, tz: tzinfo | None = None
) -> datetime | None:
    """When a run that is due now (or at its next slot) waits for the window: the window's start.

    None when the profile has no window, or its next run falls inside the window anyway.
    """
    window = window_of(schedule)
    if window is None:
        return None
    plain = next_run(schedule.model_copy(update={"window": None}), history, now, tz)
    if plain is None or window_open(window, max(plain, now), tz):
        return None
    return window_start(window, max(plain, now), tz)


def is_due(due: datetime | None, now: datetime) -> bool:
    return due is not None and due <= now


def missed_slots(schedule: Schedule, due: datetime, now: datetime) -> int:
    """How many regular slots passed since ``due`` (shown to the user; caught up only once)."""
    if now <= due:
        return 0
    return int((now - due) // schedule.interval) + 1


class ClockWatch:
    """Detects wall-clock jumps: sleep/hibernate, or the clock set forward or back.

    A clock that stands still while the machine sleeps and is never set (``wake_clock``: the
    monotonic clock on Linux and macOS, the unbiased interrupt time on Windows) against the wall
    clock, which does both: a difference between their progress means the schedule must be re-read.
    """

    def __init__(
        self,
        threshold: float = 60.0,
        wall: Callable[[], float] = time.time,
        mono: Callable[[], float] | None = None,
    ) -> None:
        self.threshold = threshold
        self._wall = wall
        self._mono = mono or sleepless_clock()
        self._last = (wall(), self._mono())

    def check(self) -> float:
        """Seconds the wall clock jumped since the last check (0.0 when within the threshold)."""
        wall, mono = self._wall(), self._mono()
        jump = (wall - self._last[0]) - (mono - self._last[1])
        self._last = (wall, mono)
        return float(jump) if abs(jump) >= self.threshold else 0.0
