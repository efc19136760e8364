"""A clock that stands still while the computer sleeps, so a wall-clock jump shows a sleep.

``time.monotonic`` does that on Linux (CLOCK_MONOTONIC) and macOS, but on Windows it is
GetTickCount64, which counts on through sleep and hibernation: compared with the wall clock it
would never show a jump. There the unbiased interrupt time does (QueryUnbiasedInterruptTime:
"does not include time the system spends in sleep or hibernation").
"""

from __future__ import annotations

import ctypes
import sys
import time
from collections.abc import Callable

HUNDRED_NS_PER_SECOND = 10_000_000


def unbiased_seconds(hundred_ns: int) -> float:
    """QueryUnbiasedInterruptTime's count (100 ns units) in seconds."""
    return hundred_ns / HUNDRED_NS_PER_SECOND


def _unbiased_interrupt_time() -> float:
    if sys.platform != "win32":
        raise OSError("QueryUnbiasedInterruptTime exists on Windows only")
    count = ctypes.c_ulonglong()
    if not ctypes.windll.kernel32.QueryUnbiasedInterruptTime(ctypes.byref(count)):
        raise OSError(ctypes.get_last_error(), "QueryUnbiasedInterruptTime failed")
    return unbiased_seconds(count.value)


def sleepless_clock(platform: str = sys.platform) -> Callable[[], float]:
    """Seconds from some start, not counting time asleep, on ``platform``."""
    return _unbiased_interrupt_time if platform == "win32" else time.monotonic
