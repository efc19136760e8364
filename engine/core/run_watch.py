"""What watches a run from beside it: its time window's end, its bandwidth limit, its pause.

- At ``window_end`` (a scheduled run's window closes) ``ctx.window_closed`` is set: the job kinds
  start no new file, the ones under way finish, and the run ends as "stopped" (exit 6). A run that
  is paused when its window closes cannot finish its current file inside the window: it is
  stopped there (``cancel``), still as "stopped", and the partly copied file is not kept.
- The limit in force (a timetable changes it during a run) is told as a LimitChanged event.
- Pause and resume are logged and told as PauseChanged events, whoever pressed them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from engine.core.bandwidth import BwLimit, describe_limit, limit_at, parse_bwlimit
from engine.core.context import RunContext
from engine.core.events import LimitChanged, PauseChanged
from engine.core.profiles import Profile
from engine.core.time_window import format_hhmm

log = logging.getLogger("rearguard")
TICK_SECONDS = 0.2


def bwlimit_of(profile: Profile) -> BwLimit:
    """The profile's ``bwlimit`` (mirror and rclone have one), parsed; an empty BwLimit for none."""
    section = getattr(profile.spec, profile.kind, None)
    text = str(getattr(section, "bwlimit", "") or "")
    return parse_bwlimit(text, pairs=profile.kind == "rclone")


def rate_source(ctx: RunContext, limit: BwLimit) -> Callable[[], float | None]:
    """The limit in force now (bytes per second, None for none), read from the run's clock."""

    def rate() -> float | None:
        return limit_at(limit, ctx.clock().astimezone())[0]

    return rate


def limit_words(ctx: RunContext, limit: BwLimit) -> tuple[str, float | None]:
    rate, until = limit_at(limit, ctx.clock().astimezone())
    return describe_limit(rate, until), rate


class RunWatch:
    """A thread beside one run (only when it has a window or a limit) plus the pause listener."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.limit = bwlimit_of(ctx.profile)
        self._said: str | None = None
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._unlisten: Callable[[], None] | None = None

    def __enter__(self) -> RunWatch:
        self._unlisten = self.ctx.pause.add_listener(self._pause_changed)
        if self.ctx.pause.is_set():
            self._pause_changed(True)
        if self.ctx.window_end is not None or self.limit.is_set:
            self._check()
            self._thread = threading.Thread(target=self._loop, name="run-watch", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._unlisten is not None:
            self._unlisten()

    def _loop(self) -> None:
        while not self._done.wait(TICK_SECONDS):
            try:
                self._check()
            except Exception:  # the watch must never take the run down
                log.exception("the run's watch stopped checking")
                return

    def _check(self) -> None:
        ctx = self.ctx
        if self.limit.is_set:
            text, rate = limit_words(ctx, self.limit)
            if text != self._said:
                self._said = text
                log.info("bandwidth: %s", text)
                ctx.reporter(LimitChanged(text, rate))
        end = ctx.window_end
        if end is not None and not ctx.window_closed.is_set() and ctx.clock() >= end:
            self.window_closed(end)

    def window_closed(self, end: datetime) -> None:
        ctx = self.ctx
        local = end.astimezone()
        ctx.window_closed.set()
        if ctx.pause.is_set():
            ctx.stopped_by_window = True
            ctx.cancel.set()
            log.warning(
                "the window closed at %s while the run was paused: it stops now; the next run continues",
                format_hhmm(local.hour * 60 + local.minute),
            )
        else:
            log.info(
                "the window closed at %s: the files under way finish, no new one starts",
                format_hhmm(local.hour * 60 + local.minute),
            )

    def _pause_changed(self, paused: bool) -> None:
        ctx = self.ctx
        message = pause_message(ctx.profile.kind, paused)
        log.info("%s", message)
        ctx.reporter(PauseChanged(paused, message))


def pause_message(kind: str, paused: bool) -> str:
    if not paused:
        return "resumed"
    if kind == "revit":
        return "paused: the export under way finishes (RevitServerTool cannot be paused); no new model starts"
    if kind == "rclone":
        return "paused: rclone is suspended (no disk or network use) until resumed"
    return "paused: no disk use until resumed (the file under way waits between blocks)"
