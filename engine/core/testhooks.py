"""Test-only: end this process abruptly at a named moment, for the crash-consistency tests.

``REARGUARD_TEST_KILL_AT="<point>:<n>"`` makes the n-th ``reached("<point>")`` kill the process
with SIGKILL (as a power cut or ``kill -9`` would), so the tests in ``tests/reliability`` can crash
a run at moments no outside watcher can time. Points:

- ``item``: after the n-th ItemFinished event of a run (a file copied, uploaded, exported, deleted)
- ``commit``: inside the n-th state-database transaction, just before its COMMIT
- ``set_aside``: after the n-th replica entry moved to versions, before its new copy is renamed in

The variable is read once at import. Unset (always, outside those tests), ``reached`` returns at once
and ``watch_items`` hands back the reporter it was given.
"""

from __future__ import annotations

import os
import signal
import threading

from engine.core.events import Event, ItemFinished, Reporter

KILL_ENV = "REARGUARD_TEST_KILL_AT"


def _parse(text: str) -> tuple[str, int] | None:
    point, _, count = text.strip().partition(":")
    try:
        return (point, max(1, int(count or "1"))) if point else None
    except ValueError:
        return None


_TARGET = _parse(os.environ.get(KILL_ENV, ""))
_seen = 0
_lock = threading.Lock()


def reached(point: str) -> None:
    """Count one arrival at ``point``; the n-th one (as the variable says) kills the process."""
    global _seen
    if _TARGET is None or point != _TARGET[0]:
        return
    with _lock:
        _seen += 1
        if _seen < _TARGET[1]:
            return
    os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


def watch_items(reporter: Reporter) -> Reporter:
    """``reporter``, counting ``item`` after each ItemFinished when the ``item`` point is armed."""
    if _TARGET is None or _TARGET[0] != "item":
        return reporter

    def report(event: Event) -> None:
        reporter(event)
        if isinstance(event, ItemFinished):
            reached("item")

    return report
