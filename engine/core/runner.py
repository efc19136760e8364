"""One run of a profile, phase by phase: lock, log, plan, safety, execute, verify, record.

Every outcome (done, failed items, refused, tool missing, cancelled) becomes a RunReport that is
written to the run history; nothing here prints.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.core import errors, testhooks
from engine.core.context import HeldOver, RunContext, utc_now
from engine.core.events import PhaseChanged, Reporter, RunFinished, RunStarted, null_reporter
from engine.core.folders import Folders
from engine.core.kinds import job_for
from engine.core.lock import ProfileLock
from engine.core.logs import attach_daily_log, prune_logs
from engine.core.plan import Plan
from engine.core.profiles import Profile
from engine.core.readback_run import sample_after_run, verify_items
from engine.core.report import (
    STATUS_CANCELLED,
    STATUS_FAILED,
    STATUS_REFUSED,
    STATUS_STOPPED,
    STATUS_UNAVAILABLE,
    RunReport,
)
from engine.core.run_watch import RunWatch
from engine.core.secrets import run_secrets
from engine.core.state import StateDB
from engine.core.target_overlap import refuse_overlapping_targets
from engine.core.time_window import format_hhmm
from engine.files.pacing import PauseSwitch

log = logging.getLogger("rearguard")

_STATUS_FOR_ERROR: dict[type[errors.RearguardError], str] = {
    errors.SafetyRefusal: STATUS_REFUSED,
    errors.Cancelled: STATUS_CANCELLED,
    errors.ToolUnavailable: STATUS_UNAVAILABLE,
    errors.WindowEnded: STATUS_STOPPED,
}


@dataclass
class RunOutcome:
    """What ``run_profile`` returns: a report for a real run, a plan for a dry run."""

    exit_code: int
    report: RunReport | None = None
    plan: Plan | None = None
    reason: str | None = None  # a dry run's refusal
    notices: list[str] | None = None

    def as_json(self, profile: str, kind: str) -> dict[str, Any]:
        if self.report is not None:
            return self.report.as_json()
        out = (self.plan or Plan(())).as_json(profile, kind)
        out["reason"] = self.reason
        return out


def profile_secrets(profile: Profile, folders: Folders) -> list[str]:
    """Strings that must never reach a log: the kind's (rclone.conf passwords…) and the channels'."""
    return run_secrets(profile, folders)


def run_profile(
    profile: Profile,
    folders: Folders,
    *,
    dry_run: bool = False,
    reporter: Reporter = null_reporter,
    cancel: threading.Event | None = None,
    clock: Callable[[], datetime] = utc_now,
    trigger: str = "manual",
    log_dir: Path | None = None,
    pause: PauseSwitch | None = None,
    window_end: datetime | None = None,
    recorded: Callable[[RunReport, StateDB], None] | None = None,
) -> RunOutcome:
    """Run (or dry-run) one profile to its end; raises only RunLocked and ProfileError.

    ``recorded`` is called with a real run's report once it is in the history, with the run's own
    state database, before the session lets go of it (the CLI queues the notifications there).

    And ToolUnavailable when the state database stays locked by another program (nothing recorded).
    ``pause`` holds the run while set (its lock kept); at ``window_end`` (a scheduled run's window
    closes) no new file starts and the run ends as "stopped" (exit 6), keeping what it did.
    """
    session = _session(
        profile, folders, reporter, cancel, clock, log_dir, dry_run, window_end, ahead=not dry_run
    )
    with session as ctx:
        if dry_run:
            return _dry_run(ctx)
        ctx.pause = pause or ctx.pause
        with RunWatch(ctx):
            outcome = _real_run(ctx, trigger)
        if recorded is not None and outcome.report is not None:
            recorded(outcome.report, ctx.state)
        return outcome


def verify_profile(
    profile: Profile,
    folders: Folders,
    *,
    full: bool = False,
    repair: bool = False,
    reporter: Reporter = null_reporter,
    cancel: threading.Event | None = None,
    clock: Callable[[], datetime] = utc_now,
    trigger: str = "manual",
) -> RunOutcome:
    """Read the profile's backup back and compare it with the source (``rearguard verify``).

    A sample by default (see ``engine.core.readback``), everything with ``full``; ``repair`` copies
    again what differs. Recorded in the history as a run of kind "verify".
    """
    with _session(profile, folders, reporter, cancel, clock, None, False) as ctx:
        return _verify_run(ctx, full, repair, trigger)


@contextmanager
def _session(
    profile: Profile,
    folders: Folders,
    reporter: Reporter,
    cancel: threading.Event | None,
    clock: Callable[[], datetime],
    log_dir: Path | None,
    dry_run: bool,
    window_end: datetime | None = None,
    *,
    ahead: bool = False,
) -> Iterator[RunContext]:
    """The profile's lock, its daily log and the state database around one run or verify."""
    folders.create()
    reporter = testhooks.watch_items(reporter)  # unchanged outside the crash tests
    log_folder = log_dir or folders.profile_logs(profile.name)
    lock = None if dry_run else ProfileLock(folders.locks, profile.name)
    if lock is not None:
        lock.acquire()
    try:
        secrets = profile_secrets(profile, folders)
        with attach_daily_log(log_folder, secrets):
            started, held = clock(), HeldOver()
            if ahead:  # a run's: a tool a later phase needs starts while the state database opens
                _start_ahead(profile, started, window_end, held, secrets)
            notices: list[str] = []
            try:
                state = StateDB(folders.state_db, notices=notices)
            except BaseException:
                held.close()
                raise
            try:
                ctx = RunContext(
                    profile=profile,
                    folders=folders,
                    state=state,
                    reporter=reporter,
                    cancel=cancel or threading.Event(),
                    dry_run=dry_run,
                    clock=clock,
                    started=started,
                    log_dir=str(log_folder),
                    secrets=list(secrets),
                    window_end=window_end,
                    held=held,
                )
                ctx.warnings.extend(notices)
                if not dry_run:
                    prune_logs(log_folder)
                    state.mark_interrupted_runs(profile.name)
                try:
                    yield ctx
                finally:
                    held.close()
            finally:
                state.close()
    finally:
        if lock is not None:
            lock.release()


def _start_ahead(
    profile: Profile, started: datetime, window_end: datetime | None, held: HeldOver, secrets: list[str]
) -> None:
    """The kind's optional ``start_ahead`` (engine.core.kinds); a failure there only costs the head start."""
    start = getattr(job_for(profile.kind), "start_ahead", None)
    if start is None:
        return
    try:
        start(profile, started, window_end, held, list(secrets))
    except Exception:  # the phase that needs the tool starts it, and says what is wrong
        log.debug("nothing started ahead", exc_info=True)


def _dry_run(ctx: RunContext) -> RunOutcome:
    job = job_for(ctx.profile.kind)
    plan: Plan | None = None
    try:
        refuse_overlapping_targets(ctx.profile, ctx.folders)  # two profiles, one target
        plan = job.plan(ctx)
        job.check(ctx, plan)
    except errors.SafetyRefusal as refusal:
        return RunOutcome(errors.EXIT_REFUSED, plan=plan, reason=str(refusal))
    except errors.ProfileError:
        raise
    except errors.RearguardError as error:
        return RunOutcome(error.exit_code, plan=plan, reason=str(error))
    return RunOutcome(errors.EXIT_OK, plan=plan)


def _real_run(ctx: RunContext, trigger: str) -> RunOutcome:
    job = job_for(ctx.profile.kind)

    def phases(report: RunReport) -> None:
        ctx.reporter(PhaseChanged("plan"))
        refuse_overlapping_targets(ctx.profile, ctx.folders)  # two profiles, one target
        plan = job.plan(ctx)
        job.check(ctx, plan)
        report.planned, report.planned_bytes = len(plan.actions), plan.total_bytes
        ctx.reporter(RunStarted(ctx.name, ctx.profile.kind, len(plan.actions), plan.total_bytes, plan=plan))
        ctx.reporter(PhaseChanged("execute"))
        results = job.execute(ctx, plan)
        ctx.reporter(PhaseChanged("verify"))
        report.items = job.verify(ctx, plan, results)
        if not ctx.stopping():
            differences, report.readback = sample_after_run(ctx, job, plan, report.items)
            report.items += differences
        if ctx.stopped_by_window or (ctx.left_for_next_run and not ctx.cancel.is_set()):
            raise errors.WindowEnded(_window_reason(ctx, report))
        if ctx.cancel.is_set():
            raise errors.Cancelled()

    return _recorded(ctx, RunReport(ctx.name, ctx.profile.kind, ctx.started), trigger, phases)


def _window_reason(ctx: RunContext, report: RunReport) -> str:
    end = (ctx.window_end or ctx.clock()).astimezone()
    done = report.count("done")
    return (
        f"stopped at the end of its window ({format_hhmm(end.hour * 60 + end.minute)}): "
        f"{done} of {report.planned} item(s) done and kept, {ctx.left_for_next_run or 'the rest'} "
        "left for the next run, which continues from there"
    )


def _verify_run(ctx: RunContext, full: bool, repair: bool, trigger: str) -> RunOutcome:
    job = job_for(ctx.profile.kind)

    def read(report: RunReport) -> None:
        if repair:  # a repair writes into the target: the same refusal as a run's
            refuse_overlapping_targets(ctx.profile, ctx.folders)
        found, report.readback = verify_items(ctx, job, full=full, repair=repair)
        report.items = found.items
        report.planned = len(found.items)
        if ctx.cancel.is_set():
            raise errors.Cancelled()

    report = RunReport(ctx.name, ctx.profile.kind, ctx.started, run_kind="verify")
    return _recorded(ctx, report, trigger, read)


def _recorded(
    ctx: RunContext, report: RunReport, trigger: str, work: Callable[[RunReport], None]
) -> RunOutcome:
    """Do ``work`` as one run in the history: every way it can end becomes the report's status."""
    report.run_id = ctx.state.start_run(report, trigger)
    log.info(
        "%s of '%s' (%s) started", "verify" if report.run_kind == "verify" else "run", ctx.name, report.kind
    )
    raised: errors.ProfileError | None = None
    try:
        work(report)
    except errors.ProfileError as error:
        report.status, report.reason, raised = STATUS_FAILED, str(error), error
    except errors.RearguardError as error:
        report.status = _STATUS_FOR_ERROR.get(type(error), STATUS_FAILED)
        report.reason = str(error)
    except Exception as error:  # a bug must still end as a recorded, readable failure
        log.exception("run of '%s' stopped by an unexpected error", ctx.name)
        report.status, report.reason = STATUS_FAILED, f"unexpected error: {error!r}"
    report.settle()
    report.warnings = list(ctx.warnings)
    report.finished = ctx.clock()
    ctx.state.finish_run(report.run_id, report)
    _log_report(report)
    ctx.reporter(RunFinished(report))
    if raised is not None:
        raise raised
    return RunOutcome(report.exit_code, report=report)


def _log_report(report: RunReport) -> None:
    level = logging.INFO if report.status == "ok" else logging.WARNING
    log.log(level, "%s", report.summary())
    for item in report.failures[:200]:
        log.warning("  %s %s: %s — %s", item.status, item.action, item.path, item.message)
