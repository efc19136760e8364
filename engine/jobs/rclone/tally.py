"""rclone's per-file log lines, followed while a command runs: Reporter events and one result per file.

``Copied ...`` (uploads) or ``Moved``/``Deleted`` (removals) confirm a file; an error line about it
(or about its temporary ``.partial`` name) fails it. Periodic stats become TransferStats and
per-file progress, so a screen shows real bytes, speed and ETA. What rclone did not confirm is
never reported as done: after a clean exit, the files it said nothing about (``silent``) are
decided by a look at the remote (look.py), and without that decision they fail.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from engine.core.context import RunContext
from engine.core.events import ItemFinished, ItemProgress, ItemStarted, TransferStats
from engine.core.plan import Action
from engine.core.report import ItemResult
from engine.jobs.rclone import json_log
from engine.tools.process import ProcessResult
from engine.tools.redact import redact

UPLOAD = "upload"
NOT_CONFIRMED = "rclone did not confirm this file; it will be sent again next run"
DELETE_NOT_CONFIRMED = "rclone did not confirm this deletion; it will be tried again next run"
# rclone keeps retrying file after file against a remote that went away (about 50 s per file with its
# defaults, often without a word: a whole backup would take hours to fail). The command is stopped,
# and the rest failed for a retry, after GIVE_UP_AFTER connection failures in a row with no file
# confirmed between them, or once rclone has reported errors and moved no byte for STALL_SECONDS.
GIVE_UP_AFTER = 2
STALL_SECONDS = 120.0
# A pause suspends rclone; a remote that dropped the connection meanwhile makes the files under way
# fail right after the resume. Connection failures within this time after a resume are the pause's,
# not the remote's: they never make the run give up, and those files are sent again at once.
RESUME_GRACE = 60.0
WINDOW_CLOSED = "not sent before the window closed; it goes with the next run"
_CUT_OFF = "max transfer duration reached"
_CONNECTION_LOST = re.compile(
    r"couldn't connect|connection (?:lost|refused|reset)|no route to host|network is unreachable"
    r"|broken pipe|i/o timeout",
    re.IGNORECASE,
)


class StopOrCancel(threading.Event):
    """Set when the remote is taken to be gone; also reads as set whenever the run is cancelled."""

    def __init__(self, cancel: threading.Event) -> None:
        super().__init__()
        self._cancel = cancel

    def is_set(self) -> bool:
        return super().is_set() or self._cancel.is_set()


@dataclass
class Tally:
    """What rclone said, file by file, during one command."""

    planned: dict[str, Action]
    confirmed: dict[str, str] = field(default_factory=dict)  # path -> how ("copied", "moved", ...)
    failed: dict[str, str] = field(default_factory=dict)  # path -> first error
    started: set[str] = field(default_factory=set)
    general: list[str] = field(default_factory=list)  # errors not about a listed file
    fatal: list[str] = field(default_factory=list)  # rclone could not start its work at all


def attempt_note(action: Action) -> str:
    """`` (attempt N)`` for a file that failed before, else empty."""
    attempts = dict(action.detail).get("attempts")
    return f" (attempt {int(attempts) + 1})" if isinstance(attempts, int) else ""


def unconfirmed_message(result: ProcessResult, tally: Tally, secrets: Sequence[str]) -> str:
    if result.timed_out:
        return "rclone stopped: it took too long"
    reason = tally.general[-1] if tally.general else "no message"
    return redact(f"not confirmed by rclone (exit {result.returncode}): {reason}", secrets)


class Watcher:
    """Turns rclone's log records into Reporter events and a Tally, on the run's thread."""

    def __init__(
        self,
        ctx: RunContext,
        actions: Sequence[Action],
        action: str = UPLOAD,
        stop: threading.Event | None = None,
    ) -> None:
        self.ctx = ctx
        self.action = action
        self.tally = Tally({a.path: a for a in actions})
        self.planned_bytes = sum(a.bytes for a in actions)
        self.stop = stop or threading.Event()  # set when the remote is taken to be gone
        self.gone: str | None = None  # why the remote is taken to be gone
        self.cut_off = False  # rclone stopped at --max-duration: the run's window closed
        self.after_pause: set[str] = set()  # files that lost their connection just after a resume
        self._lost_in_a_row = 0
        self._progress = (-1, time.monotonic())  # (bytes done, when they last changed)
        self._resumes = ctx.pause.resumes
        self._resumed_at: float | None = None

    def _start(self, path: str) -> None:
        if path not in self.tally.started:
            self.tally.started.add(path)
            self.ctx.reporter(ItemStarted(path, self.action, self.tally.planned[path].bytes))

    def _see_resume(self) -> None:
        """A resume since the last record: the time rclone stood still is no stall."""
        if self.ctx.pause.resumes != self._resumes:
            self._resumes = self.ctx.pause.resumes
            self._resumed_at = now = time.monotonic()
            self._progress = (self._progress[0], now)

    def _just_resumed(self) -> bool:
        return self._resumed_at is not None and time.monotonic() - self._resumed_at < RESUME_GRACE

    def __call__(self, record: json_log.LogRecord) -> None:
        tally, ctx = self.tally, self.ctx
        self._see_resume()
        if isinstance(record, json_log.Stats):
            self._watch_progress(record)
            total = max(record.total_bytes, self.planned_bytes)
            ctx.reporter(TransferStats(record.bytes_done, total, record.speed, record.eta_seconds))
            for item in record.transferring:
                if item.path in tally.planned:
                    self._start(item.path)
                    ctx.reporter(ItemProgress(item.path, item.bytes_done, item.size))
        elif isinstance(record, json_log.Copied) and self.action == UPLOAD:
            self._confirm(record.path, "copied")
        elif isinstance(record, json_log.Removed) and self.action != UPLOAD:
            self._confirm(record.path, record.how)
        elif isinstance(record, json_log.Failed) and record.path in tally.planned:
            message = redact(record.message, ctx.secrets)
            tally.failed.setdefault(record.path, message)
            ctx.log.warning("%s failed: %s — %s", self.action, redact(record.path, ctx.secrets), message)
            if self._just_resumed() and _CONNECTION_LOST.search(message):
                self.after_pause.add(record.path)
            else:
                self._connection_failure(message)
        elif isinstance(record, json_log.Failed | json_log.Message) and _is_error(record):
            text = record.message if isinstance(record, json_log.Failed) else record.text
            if _CUT_OFF in text:
                self.cut_off = True
            tally.general.append(redact(text, ctx.secrets))
            if isinstance(record, json_log.Message) and record.level in ("critical", "fatal"):
                tally.fatal.append(tally.general[-1])
            ctx.log.warning("rclone: %s", tally.general[-1])

    def _connection_failure(self, message: str) -> None:
        if not _CONNECTION_LOST.search(message):
            self._lost_in_a_row = 0
            return
        self._lost_in_a_row += 1
        if self._lost_in_a_row >= GIVE_UP_AFTER:
            self._give_up(message)

    def _watch_progress(self, stats: json_log.Stats) -> None:
        now = time.monotonic()
        if stats.bytes_done > self._progress[0]:  # rclone's count can fall back when it retries
            self._progress = (stats.bytes_done, now)
            return
        troubled = stats.errors or self.tally.failed or self.tally.general
        if troubled and now - self._progress[1] > STALL_SECONDS:
            self._give_up(stats.last_error or f"no progress for {STALL_SECONDS:g} s after an error")

    def _give_up(self, why: str) -> None:
        if self.gone is None:
            self.gone = why
            self.ctx.log.warning("rclone: the remote stopped answering; the rest waits for the next run")
            self.stop.set()

    def _confirm(self, path: str, how: str) -> None:
        self._lost_in_a_row = 0
        if path not in self.tally.planned or path in self.tally.confirmed:
            return
        self._start(path)
        self.tally.confirmed[path] = how
        nbytes = self._bytes(self.tally.planned[path])
        self.ctx.reporter(ItemFinished(path, self.action, "done", nbytes))
        self.ctx.log.info("%s %s: %s (%d bytes)", self.action, how, redact(path, self.ctx.secrets), nbytes)

    def _bytes(self, action: Action) -> int:
        """Bytes a finished item moved: an upload's size; a deletion moves none."""
        return action.bytes if self.action == UPLOAD else 0

    def unreachable(self, result: ProcessResult) -> str | None:
        """rclone's reason when it failed before touching any file (the remote went away)."""
        tally = self.tally
        if result.ok or result.cancelled or tally.confirmed or tally.failed or not tally.fatal:
            return None
        return tally.fatal[-1]

    def silent(self, result: ProcessResult) -> list[Action]:
        """The planned files rclone neither confirmed nor failed although it exited cleanly."""
        tally = self.tally
        if not result.ok or self.gone is not None:
            return []
        return [a for p, a in tally.planned.items() if p not in tally.confirmed and p not in tally.failed]

    def results(self, result: ProcessResult, decided: Mapping[str, ItemResult]) -> list[ItemResult]:
        """One ItemResult per planned file, in plan order; finishes the items rclone left open.

        ``decided`` holds the verdicts on the ``silent`` files (a look at the remote); a silent
        file without one is not confirmed: it fails, and goes again next run.
        """
        tally, out = self.tally, []
        for path, action in tally.planned.items():
            if path in tally.confirmed:
                out.append(ItemResult(path, self.action, "done", "", self._bytes(action)))
                continue
            if result.cancelled and self.gone is None:
                # Errors while rclone is being stopped are the stop's, not the file's.
                item = ItemResult(path, self.action, "skipped", "cancelled before rclone confirmed it")
            elif (self.cut_off or self.ctx.window_closed.is_set()) and path not in tally.failed:
                item = ItemResult(path, self.action, "skipped", WINDOW_CLOSED)
            elif path in tally.failed:
                item = ItemResult(path, self.action, "failed", tally.failed[path] + attempt_note(action))
            elif self.gone is not None:
                message = redact(f"not sent: the remote stopped answering ({self.gone})", self.ctx.secrets)
                item = ItemResult(path, self.action, "failed", message + attempt_note(action))
            elif result.ok:
                why = NOT_CONFIRMED if self.action == UPLOAD else DELETE_NOT_CONFIRMED
                item = decided.get(path) or ItemResult(
                    path, self.action, "failed", why + attempt_note(action)
                )
            else:
                message = unconfirmed_message(result, tally, self.ctx.secrets)
                item = ItemResult(path, self.action, "failed", message + attempt_note(action))
            self.ctx.reporter(ItemFinished(path, self.action, item.status, item.bytes, item.message))
            out.append(item)
        return out


def _is_error(record: json_log.Failed | json_log.Message) -> bool:
    return isinstance(record, json_log.Failed) or record.is_error
