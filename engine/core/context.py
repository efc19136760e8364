"""RunContext: everything a job kind gets for one run (profile, state, reporter, cancel, pause, clock)."""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from engine.core.events import Reporter, null_reporter
from engine.core.folders import Folders
from engine.core.profiles import Profile
from engine.core.state import StateDB
from engine.files.pacing import PauseSwitch
from engine.files.versions import versions_stamp


def utc_now() -> datetime:
    return datetime.now(UTC)


class Closable(Protocol):
    def close(self) -> None: ...


class HeldOver:
    """What a job kind starts in one phase for a later one (a tool started ahead of need), by name.

    ``take`` hands a thing over to the phase that uses it; whatever is left when the run's session
    ends is closed then, however the run ended (and, for a context nobody closed, when it is freed).
    """

    def __init__(self) -> None:
        self._things: dict[str, Closable] = {}
        self._finalizer = weakref.finalize(self, _close_all, self._things)

    def put(self, name: str, thing: Closable) -> None:
        old = self._things.pop(name, None)
        self._things[name] = thing
        if old is not None:
            old.close()

    def take(self, name: str) -> Closable | None:
        return self._things.pop(name, None)

    def close(self) -> None:
        self._finalizer()


def _close_all(things: dict[str, Closable]) -> None:
    while things:
        _, thing = things.popitem()
        try:
            thing.close()
        except Exception:  # one that cannot be stopped must not keep the others running
            logging.getLogger("rearguard").exception("could not stop what a run started ahead")


@dataclass
class RunContext:
    """One run's world. Job kinds read it; only the runner builds it."""

    profile: Profile
    folders: Folders
    state: StateDB
    reporter: Reporter = null_reporter
    cancel: threading.Event = field(default_factory=threading.Event)
    dry_run: bool = False
    clock: Callable[[], datetime] = utc_now
    started: datetime = field(default_factory=utc_now)
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("rearguard"))
    log_dir: str | None = None  # where this run's log files go (checked against targets)
    secrets: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    pause: PauseSwitch = field(default_factory=PauseSwitch)  # workers hold while it is set
    window_end: datetime | None = None  # a scheduled run's window closes then: no new file starts
    window_closed: threading.Event = field(default_factory=threading.Event)
    stopped_by_window: bool = False  # the window closed while paused: ``cancel`` was set for it
    left_for_next_run: int = 0  # items a job did not start because the window closed
    held: HeldOver = field(default_factory=HeldOver)  # closed when the run's session ends

    def stopping(self) -> bool:
        """True when no new file may start: the run was cancelled, or its window closed."""
        return self.cancel.is_set() or self.window_closed.is_set()

    def left_by_window(self, count: int) -> None:
        """A job kind tells that ``count`` items wait for the next run because the window closed."""
        if count > 0 and self.window_closed.is_set():
            self.left_for_next_run += count

    @property
    def name(self) -> str:
        return self.profile.name

    def warn(self, message: str) -> None:
        """A warning that belongs in the log and the run's report."""
        self.log.warning(message)
        self.warnings.append(message)

    @property
    def run_stamp(self) -> str:
        """The run's start as a file-name-safe UTC stamp (its versions folder's name)."""
        return versions_stamp(self.started)
