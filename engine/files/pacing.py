"""Pausing and bandwidth limits for a copy loop: a pause switch, a token bucket, and the pacer joining them.

The copy loop calls the pacer after every block it wrote. While the run is paused the pacer holds
the worker there (no read, no write, the temporary file stays as it is); with a limit it makes the
worker wait until the bytes it moved fit the rate. One bucket is shared by all the copy workers of
a run, so the limit holds for the run as a whole, however many files go at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

BLOCK = 1024 * 1024  # bytes between two looks at the pause switch (a block of the copy loop)
MIN_BLOCK = 64 * 1024
BURST_SECONDS = 0.1  # what a bucket may save up while idle: a short burst, never seconds of it
RATE_RECHECK = 1.0  # seconds between two looks at a timetable
_HOLD_POLL = 0.1


class PauseSwitch:
    """A run's pause: set by the window, the tray or the command line; the run's workers obey it.

    Holds no lock on anything: a paused run keeps its profile lock (the runner holds that) and
    simply does nothing until resumed. Listeners hear every change (the process runner suspends a
    tool's process tree on it).
    """

    def __init__(self) -> None:
        self._resumed = threading.Event()
        self._resumed.set()
        self._lock = threading.Lock()
        self._since: float | None = None
        self._listeners: list[Callable[[bool], None]] = []
        self.paused_seconds = 0.0  # in earlier pauses of this run
        self.resumes = 0

    def is_set(self) -> bool:
        """True while paused (read like a ``threading.Event``)."""
        return not self._resumed.is_set()

    def pause(self) -> bool:
        """Pause; False when it was paused already."""
        with self._lock:
            if not self._resumed.is_set():
                return False
            self._resumed.clear()
            self._since = time.monotonic()
            listeners = list(self._listeners)
        for listener in listeners:
            listener(True)
        return True

    def resume(self) -> bool:
        """Resume; False when it was not paused."""
        with self._lock:
            if self._resumed.is_set():
                return False
            if self._since is not None:
                self.paused_seconds += time.monotonic() - self._since
            self._since = None
            self.resumes += 1
            self._resumed.set()
            listeners = list(self._listeners)
        for listener in listeners:
            listener(False)
        return True

    def add_listener(self, listener: Callable[[bool], None]) -> Callable[[], None]:
        """Call ``listener(paused)`` on every change; returns the function that removes it."""
        with self._lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    def hold(self, cancel: threading.Event | None = None) -> float:
        """Wait while paused (or until ``cancel`` is set); returns the seconds waited."""
        if self._resumed.is_set():
            return 0.0
        started = time.monotonic()
        while not self._resumed.wait(_HOLD_POLL):
            if cancel is not None and cancel.is_set():
                break
        return time.monotonic() - started


RateSource = Callable[[], float | None]  # bytes per second in force now, None for no limit


class TokenBucket:
    """A rate limit shared by threads: ``take(n)`` returns once ``n`` more bytes fit the rate.

    Starts empty and saves up at most ``BURST_SECONDS`` of the rate while idle, so a copy of N
    bytes at R bytes/s takes N / R seconds, not less. ``rate`` is asked again at most once a second
    (a timetable changes the limit during a run).
    """

    def __init__(
        self,
        rate: RateSource,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = rate
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = 0.0
        self._last = clock()
        self._rate: float | None = rate()
        self._asked = self._last

    @property
    def rate(self) -> float | None:
        """The limit in force (bytes per second), None for none."""
        with self._lock:
            return self._current(self._clock())

    def _current(self, now: float) -> float | None:
        if now - self._asked >= RATE_RECHECK:
            self._asked = now
            self._rate = self._source()
        return self._rate

    def reserve(self, amount: int) -> float:
        """Take ``amount`` bytes' worth of tokens; returns the seconds to wait before going on."""
        with self._lock:
            now = self._clock()
            rate = self._current(now)
            if rate is None:
                self._tokens, self._last = 0.0, now
                return 0.0
            self._tokens = min(self._tokens + (now - self._last) * rate, rate * BURST_SECONDS)
            self._last = now
            self._tokens -= amount
            return -self._tokens / rate if self._tokens < 0 else 0.0

    def take(self, amount: int, cancel: threading.Event | None = None) -> None:
        wait = self.reserve(amount)
        if wait <= 0:
            return
        if cancel is not None:
            cancel.wait(wait)
        else:
            time.sleep(wait)


class Pacer:
    """What a copy loop calls after each block: holds while paused, then keeps to the rate."""

    def __init__(
        self,
        pause: PauseSwitch | None = None,
        bucket: TokenBucket | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.pause = pause
        self.bucket = bucket
        self.cancel = cancel

    @property
    def block(self) -> int:
        """How many bytes the copy loop moves between two calls: smaller for a slow limit."""
        rate = self.bucket.rate if self.bucket is not None else None
        if rate is None:
            return BLOCK
        return max(MIN_BLOCK, min(BLOCK, int(rate / 8)))

    def wait_if_paused(self) -> None:
        if self.pause is not None and self.pause.is_set():
            self.pause.hold(self.cancel)

    def __call__(self, moved: int) -> None:
        self.wait_if_paused()
        if self.bucket is not None and moved > 0:
            self.bucket.take(moved, self.cancel)
