"""Running a profile off the GUI thread: a QThread worker that never touches a widget.

The engine's reporter only appends to a deque (safe from any thread, including the mirror's copy
pool). A QTimer on the GUI thread drains it every 100 ms and feeds the batch to the progress model
and the run's totals, within a time budget so a flood of events never stalls the window.

Around a run (not a preview) the worker tells the notification channels, as the CLI does: the
health-check start ping before it, the run's message, ping and metrics after it (a verify: after
it only). A channel that is down, or a bug there, is logged and never changes the run's result.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from engine.core.errors import ProfileError, RunLocked
from engine.core.events import Event, PhaseChanged, RunStarted
from engine.core.folders import Folders
from engine.core.profiles import Profile
from engine.core.report import RunReport
from engine.core.runner import RunOutcome, run_profile, verify_profile
from engine.core.secrets import run_secrets
from engine.files.pacing import PauseSwitch
from engine.notify.run_events import notify_run_finished, notify_run_started
from gui.progress_model import ProgressModel
from gui.progress_tree import ProgressTree, preview_tree, run_tree
from gui.run_stats import RunStats

log = logging.getLogger("rearguard.gui")
_running_sessions = 0
DRAIN_INTERVAL_MS = 50
DRAIN_BUDGET_S = 0.01


@dataclass
class RunResult:
    """How a run or preview ended: an outcome, or an error that stopped it before it began."""

    outcome: RunOutcome | None = None
    error: str | None = None
    error_kind: str = ""  # "locked" | "profile" | "unexpected"
    preview: ProgressTree | None = None

    @property
    def status(self) -> str:
        if self.error is not None:
            return "locked" if self.error_kind == "locked" else "failed"
        outcome = self.outcome
        if outcome is None:
            return "failed"
        if outcome.report is not None:
            return outcome.report.status
        return "refused" if outcome.reason else "ok"


class RunWorker(QObject):
    """Lives in a QThread; calls the engine, leaves the result for the GUI's timer and ends the thread.

    No signal crosses back: the GUI thread's drain timer sees ``result`` once the thread finished,
    after the last buffered event, so the report never overtakes the progress.
    """

    def __init__(
        self,
        profile: Profile,
        folders: Folders,
        *,
        dry_run: bool,
        buffer: deque[Event],
        cancel: threading.Event,
        trigger: str,
        verify: bool = False,
        repair: bool = False,
        learn_secrets: Callable[[Iterable[str]], None] | None = None,
        pause: PauseSwitch | None = None,
        window_end: datetime | None = None,
    ) -> None:
        super().__init__()
        self.profile, self.folders, self.dry_run, self.verify = profile, folders, dry_run, verify
        self.pause, self.window_end = pause, window_end  # a scheduled run stops at its window's end
        self.repair = repair
        self.buffer, self.cancel, self.trigger = buffer, cancel, trigger
        self.learn_secrets = learn_secrets  # the log view masks them from the run's first record on
        self.result: RunResult | None = None

    @Slot()
    def run(self) -> None:
        result = RunResult()
        self._tell_secrets()
        try:
            if self.verify:
                result.outcome = verify_profile(  # by hand: every file (the runs read samples)
                    self.profile,
                    self.folders,
                    full=True,
                    repair=self.repair,
                    reporter=self.buffer.append,
                    cancel=self.cancel,
                    trigger=self.trigger,
                )
            else:
                if not self.dry_run:
                    self._notify(lambda: notify_run_started(self.folders, self.profile))
                result.outcome = run_profile(
                    self.profile,
                    self.folders,
                    dry_run=self.dry_run,
                    reporter=self._report,
                    cancel=self.cancel,
                    trigger=self.trigger,
                    pause=self.pause,
                    window_end=self.window_end,
                )
            if self.dry_run and result.outcome.plan is not None:
                result.preview = preview_tree(result.outcome.plan, flat=self.flat)
        except RunLocked as error:
            result.error, result.error_kind = str(error), "locked"
        except ProfileError as error:
            result.error, result.error_kind = str(error), "profile"
        except Exception as error:  # shown to the user and logged, never a silent dead thread
            log.exception("the run of '%s' stopped unexpectedly", self.profile.name)
            result.error, result.error_kind = f"unexpected error: {error!r}", "unexpected"
        report = result.outcome.report if result.outcome is not None else None
        if report is not None and not self.dry_run:
            self._finished(report)
        self.result = result
        self.thread().quit()

    @property
    def flat(self) -> bool:
        """Revit models are listed by their table path, one row each (no folders, no "..")."""
        return self.profile.kind == "revit"

    def _report(self, event: Event) -> None:
        """The engine's reporter (any of its threads): a run's plan becomes its tree here, off the
        GUI thread, and reaches the window before the first item."""
        if isinstance(event, RunStarted) and event.plan is not None:
            self.buffer.append(run_tree(event.plan, flat=self.flat))
        self.buffer.append(event)

    def _tell_secrets(self) -> None:
        if self.learn_secrets is None:
            return
        try:
            self.learn_secrets(run_secrets(self.profile, self.folders))
        except Exception:
            log.exception("the secrets of '%s' could not be read for the log view", self.profile.name)

    def _finished(self, report: RunReport) -> None:
        """The run's message, ping and metrics (a few seconds at most when a channel is down)."""
        self.buffer.append(PhaseChanged("notify", "Telling the notification channels…"))
        self._notify(lambda: notify_run_finished(self.folders, self.profile, report))

    def _notify(self, call: Callable[[], object]) -> None:
        try:
            call()
        except Exception:  # notifications never break a run or the window
            log.exception("notifications for '%s' stopped by an unexpected error", self.profile.name)


class RunSession(QObject):
    """One run or preview of one profile: its thread, its event buffer, its model and totals."""

    updated = Signal()
    finished = Signal(object)  # RunResult

    def __init__(
        self,
        profile: Profile,
        folders: Folders,
        *,
        dry_run: bool = False,
        verify: bool = False,
        repair: bool = False,
        trigger: str = "gui",
        learn_secrets: Callable[[Iterable[str]], None] | None = None,
        window_end: datetime | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.profile = profile
        self.dry_run = dry_run
        self.verify = verify  # reading the backup back (``rearguard verify``) rather than a run
        self.cancel_event = threading.Event()
        self.pause_switch = PauseSwitch()  # held by the run's workers; the lock stays taken
        self.buffer: deque[Event] = deque()
        self.model = ProgressModel(self)
        self.stats = RunStats()
        self.result: RunResult | None = None
        self.batches = 0
        self._waiters: list[asyncio.Future[RunResult]] = []
        self.worker_thread = QThread()
        self.worker_thread.setObjectName(f"run:{profile.name}")
        self.worker = RunWorker(
            profile,
            folders,
            dry_run=dry_run,
            buffer=self.buffer,
            cancel=self.cancel_event,
            trigger=trigger,
            verify=verify,
            repair=repair,
            learn_secrets=learn_secrets,
            pause=self.pause_switch,
            window_end=window_end,
        )
        self.worker.moveToThread(self.worker_thread)
        self.worker_thread.started.connect(self.worker.run)
        self.timer = QTimer(self)
        self.timer.setInterval(DRAIN_INTERVAL_MS)
        self.timer.timeout.connect(self.drain)

    @property
    def running(self) -> bool:
        return self.result is None

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def start(self) -> None:
        global _running_sessions
        _running_sessions += 1
        self.timer.start()
        self.worker_thread.start()

    def cancel(self) -> None:
        """Ask the engine to stop after the current file; the report follows."""
        if self.running:
            self.cancel_event.set()

    @property
    def paused(self) -> bool:
        return self.pause_switch.is_set()

    @property
    def can_pause(self) -> bool:
        """A backup run that goes on (a preview only scans, a verify only reads; a cancelled run stops)."""
        return self.running and not self.dry_run and not self.verify and not self.cancelled

    def set_paused(self, paused: bool) -> bool:
        """Pause (no disk or network use; the lock is kept) or resume; False when nothing changed."""
        if paused and not self.can_pause:
            return False
        return self.pause_switch.pause() if paused else self.pause_switch.resume()

    def drain(self) -> None:
        """Apply the events buffered since the last tick, within a time budget."""
        buffer = self.buffer
        if buffer:
            deadline = time.perf_counter() + DRAIN_BUDGET_S
            pop = buffer.popleft
            while buffer and time.perf_counter() < deadline:
                batch = [pop() for _ in range(min(len(buffer), 250))]  # the budget is looked at often
                self.model.apply(batch)
                self.stats.apply(batch)
            self.batches += 1
            self.updated.emit()
        # What a run builds (its plan, results, this tree) lives until the run ends; frozen, the
        # collector stops re-scanning it, which would stall the window for 100s of ms each time. Every
        # tick, events or not: a plan of 100,000 files is built before the first event comes.
        gc.freeze()
        result = self.worker.result
        if result is not None and not buffer and self.worker_thread.isFinished() and self.result is None:
            self._finish(result)

    def _finish(self, result: RunResult) -> None:
        global _running_sessions
        _running_sessions -= 1
        if _running_sessions == 0:
            gc.unfreeze()
        self.timer.stop()
        if result.preview is not None:
            self.model.reset(result.preview)
        self.result = result
        self.updated.emit()
        self.finished.emit(result)
        for future in self._waiters:
            if not future.done():
                future.set_result(result)
        self._waiters.clear()

    async def wait(self) -> RunResult:
        """Await the end of the run (under the app's qasync event loop)."""
        if self.result is not None:
            return self.result
        future: asyncio.Future[RunResult] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        return await future

    def stop_and_wait(self, timeout_ms: int = 15000) -> bool:
        """Cancel and block until the worker thread ended (used when the app quits)."""
        self.cancel()
        ended = bool(self.worker_thread.wait(timeout_ms))
        while ended and self.result is None and self.worker.result is not None:
            self.drain()  # take the last events and the result now: the timer will not fire again
        return ended
