"""The ``rclone`` job kind: a local folder to any rclone remote, only what changed, in one call.

start_ahead: as a real run's session opens, start the upload rclone waiting for its list on
         stdin (ahead.py); the scan's first change starts the read-back's check the same way
plan:    check rclone (beside the scan; a dry run asks the remote too), walk the source, compare
         with the index
check:   refuse a remote inside the source and too many (or all) deletions
execute: one batched ``rclone copy --files-from-raw``; then, only if nothing failed, deletions. A
         file is done when rclone logs it; the ones it said nothing about are looked up on the
         remote with one ``rclone lsjson`` (look.py), and are failed when it does not show them.
         The upload is the run's reachability check: one rclone start and one connection fewer
         than asking first, and the same error (exit 5) when it cannot reach the remote. A run
         with nothing to upload asks the remote one small request instead
verify:  keep what was confirmed and did not change meanwhile; record it, and the failures for
         the retry queue, in one transaction
read_back: the uploaded files read back with one ``rclone check`` (hashes, or a download where
         the remote keeps none); ``repair`` uploads what differs again (readback.py)
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime

from engine.core.context import HeldOver, RunContext
from engine.core.errors import SafetyRefusal, ToolUnavailable
from engine.core.events import PhaseChanged
from engine.core.plan import ActionKind, Plan
from engine.core.profiles import Profile, RcloneProfile
from engine.core.readback import ReadBack, Sample
from engine.core.report import ItemResult
from engine.files.pathsafety import overlap_problem
from engine.files.versions import versions_stamp
from engine.jobs.rclone import ahead, check_run, credentials, index, planner, preflight, readback
from engine.jobs.rclone.command import local_path_of
from engine.jobs.rclone.deletes import DELETE, check_deletes, delete_on_remote, skipped
from engine.jobs.rclone.parallel_scan import scanning
from engine.jobs.rclone.settings import Job, job_from, job_of
from engine.jobs.rclone.tally import UPLOAD
from engine.jobs.rclone.upload import upload, upload_argv
from engine.tools.redact import redact

__all__ = ["check", "execute", "plan", "read_back", "secrets", "start_ahead", "verify"]

# Listing the whole remote beats asking file by file once many files go up at once.
_TRAVERSE_MIN_FILES = 1000
_TRAVERSE_SHARE = 0.05
_ATTEMPT_NOTE = re.compile(r" \(attempt \d+\)$")


def secrets(profile: Profile) -> list[str]:
    """Every secret this profile's rclone calls could reveal (``engine.core.secrets`` asks, by name)."""
    spec = profile.spec
    if not isinstance(spec, RcloneProfile):
        return []
    config = spec.rclone.config.strip()
    return credentials.collect(spec.rclone.remote.strip(), os.path.expanduser(config) if config else "")


def _own_files(ctx: RunContext) -> list[str]:
    """Rearguard's state and log folders: never uploaded, even when they sit inside the source."""
    own = [str(ctx.folders.data), str(ctx.folders.logs), str(ctx.folders.state_db)]
    return own + ([ctx.log_dir] if ctx.log_dir else [])


def _preflight(pool: ThreadPoolExecutor, ctx: RunContext, job: Job, binary: str) -> Callable[[], str]:
    """Start ``rclone version`` (kept per binary: usually no start) and, for a dry run, the remote check.

    A broken rclone is reported as such even when the remote check fails too. A real run leaves
    the remote to ``execute``, whose first call reaches it anyway.
    """
    version = pool.submit(preflight.check_version, binary, ctx.folders.data)
    secrets = list(ctx.secrets)
    remote = None
    if ctx.dry_run:
        remote = pool.submit(
            preflight.check_remote, binary, job.remote, job.config, secrets, cancel=ctx.cancel
        )

    def result() -> str:
        found = version.result()
        if remote is not None:
            remote.result()
        return found

    return result


def start_ahead(
    profile: Profile, started: datetime, window_end: datetime | None, held: HeldOver, secrets: list[str]
) -> None:
    """Start the run's upload as a run with an index and no window needs it (engine.core.kinds).

    Its command line is the one ``execute`` builds then; when the run needs another (a first run,
    a window, many files), that one is started instead and this one stopped (ahead.py).
    """
    if window_end is not None:
        return  # rclone's --max-duration counts from its own start
    job = job_from(profile)
    if not job.source.is_dir():
        return
    argv = upload_argv(
        job, preflight.find_rclone(job.rclone), versions_stamp(started), traverse=False, adopt=False
    )
    ahead.start(held, secrets, ahead.UPLOAD, lambda _folder: argv)


def plan(ctx: RunContext) -> Plan:
    """Check rclone and the remote, scan the source, compare with the index."""
    job = job_of(ctx)
    ctx.secrets.extend(s for s in credentials.collect(job.remote, job.config) if s not in ctx.secrets)
    if not job.source.is_dir():
        raise SafetyRefusal(
            f"source folder {job.source} does not exist or is not a folder "
            "(an unplugged disk or unmounted share?); nothing was uploaded or deleted"
        )
    binary = preflight.find_rclone(job.rclone)
    ctx.reporter(PhaseChanged("scan", str(job.source)))
    # The scan's workers are forked before any thread; each sets its subtrees against the index.
    # The first change found starts the read-back's check ahead (ahead.py).
    retarget = index.target_changed(ctx.state, ctx.name, str(job.source), job.remote)
    retries = index.load_retries(ctx.state, ctx.name)
    with (
        scanning(
            str(job.source),
            index.IndexRows.of(ctx.state, ctx.name, trusted=not retarget),
            retries,
            include_hidden=job.include_hidden,
            exclude=job.exclude,
            never=_own_files(ctx),
            cancel=ctx.cancel,
            on_change=lambda: check_run.start_ahead(ctx, job, binary),
        ) as scanned,
        ThreadPoolExecutor(2, thread_name_prefix="rclone-check") as pool,
    ):
        ready = _preflight(pool, ctx, job, binary)
        scan, diff = scanned()
        version = ready()
    if retarget:
        ctx.warn("the source or remote changed since the last run: every file is checked again")
    for folder in scan.unreadable:
        ctx.warn(f"cannot read {job.source / folder}: its files are neither uploaded nor deleted")
    decided = planner.compare(scan, diff, retries, delete_excluded=job.delete_excluded)
    kept = int(decided.extra.get(planner.KEPT_EXCLUDED, 0))
    if kept:
        ctx.log.info(
            "%d uploaded file(s) that exclude or include_hidden now leave out stay on the remote "
            "([rclone].delete_excluded = false)",
            kept,
        )
    extra = {
        **decided.extra,
        "remote": redact(job.remote, ctx.secrets),
        "rclone": version,
        "scanned": diff.scanned,
        "indexed": diff.indexed,
        "retry_queue": len(retries),
    }
    return replace(decided, extra=extra)


def check(ctx: RunContext, plan: Plan) -> None:
    """Refuse a local remote that overlaps the source, and mass or total deletions."""
    job = job_of(ctx)
    local = local_path_of(job.remote)
    if local is not None:
        problem = overlap_problem(job.source, os.path.expanduser(local), "remote")
        if problem:
            raise SafetyRefusal(f"[rclone].remote: {problem}")
    check_deletes(
        plan.count(ActionKind.DELETE),
        int(plan.extra.get("indexed", 0)),
        int(plan.extra.get("scanned", 0)),
        job.max_delete_percent,
    )


def execute(ctx: RunContext, plan: Plan) -> list[ItemResult]:
    """Upload in one rclone call; then, if nothing failed, move deleted files off the remote."""
    job = job_of(ctx)
    binary = preflight.find_rclone(job.rclone)
    uploads = [a for a in plan.actions if a.kind is ActionKind.UPLOAD]
    deletes = [a for a in plan.actions if a.kind is ActionKind.DELETE]
    indexed = int(plan.extra.get("indexed", 0))
    traverse = indexed == 0 or (
        len(uploads) > _TRAVERSE_MIN_FILES and len(uploads) > _TRAVERSE_SHARE * indexed
    )
    try:
        if not uploads:  # no upload to find out whether the remote answers: one small request
            ahead.drop(ctx, ahead.UPLOAD)
            ahead.drop(ctx, ahead.CHECK)
            preflight.check_remote(binary, job.remote, job.config, ctx.secrets, cancel=ctx.cancel)
        results = upload(ctx, job, binary, uploads, adopt=indexed == 0, traverse=traverse)
        failed = sum(1 for r in results if r.status == "failed")
        if ctx.cancel.is_set():
            results += skipped(deletes, "cancelled")
        elif ctx.window_closed.is_set() and deletes:
            results += skipped(deletes, "the window closed; deletions wait for the next run")
            ctx.left_by_window(len(deletes))
        elif failed:
            results += skipped(
                deletes, f"not deleted: {failed} upload(s) failed; deletions wait for a run without failures"
            )
        elif deletes:
            ctx.reporter(PhaseChanged(DELETE, f"{len(deletes)} file(s)"))
            results += delete_on_remote(ctx, job, binary, deletes)
    except OSError as error:
        raise ToolUnavailable(f"rclone cannot be started ({binary}): {error.strerror or error}") from None
    return results


def _unchanged(job: Job, path: str, size: int, mtime_ns: int | None) -> bool:
    try:
        st = os.lstat(job.source / path)
    except OSError:
        return False
    return (st.st_size, st.st_mtime_ns) == (size, mtime_ns)


def verify(ctx: RunContext, plan: Plan, results: list[ItemResult]) -> list[ItemResult]:
    """Record what rclone confirmed and the source still matches; failures go to the retry queue.

    rclone checks each upload on the remote itself (size, and hash where the remote has one)
    before it logs ``Copied``, and a look at the remote confirmed the rest; here each such file is
    checked against the source, so a file that changed while it was sent is not recorded and goes
    again next run.
    """
    job = job_of(ctx)
    planned = {a.path: a for a in plan.actions if a.kind is ActionKind.UPLOAD}
    changes = index.Changes()
    out: list[ItemResult] = []
    for item in results:
        if item.action == UPLOAD and item.status == "done":
            action = planned[item.path]
            if not _unchanged(job, item.path, action.bytes, action.mtime_ns):
                item = ItemResult(
                    item.path, UPLOAD, "skipped", "changed while it was uploaded; it goes again next run"
                )
            else:
                changes.uploaded.append((item.path, action.bytes, action.mtime_ns or 0))
        elif item.action == UPLOAD and item.status == "failed":
            changes.failed.append((item.path, _ATTEMPT_NOTE.sub("", item.message)))
        elif item.action == DELETE and item.status == "done":
            changes.removed.append(item.path)
        out.append(item)
    for note in plan.notes:
        detail = dict(note.detail)
        if planner.FAILED in detail:  # could not be read: not backed up, and kept on the remote
            out.append(ItemResult(note.path, UPLOAD, "failed", str(detail[planner.FAILED])))
            continue
        out.append(ItemResult(note.path, UPLOAD, "skipped", str(detail.get("skipped", ""))))
        if detail.get(planner.DROP_RETRY):
            changes.forget_retries.append(note.path)
    index.record(ctx.state, ctx.name, changes, ctx.clock().isoformat(), (str(job.source), job.remote))
    ctx.log.info(
        "rclone: %d uploaded, %d failed (in the retry queue), %d removed from the remote",
        len(changes.uploaded),
        len(changes.failed),
        len(changes.removed),
    )
    return out


def read_back(ctx: RunContext, sample: Sample, run_plan: Plan | None, repair: bool) -> ReadBack:
    """Read the uploaded files back from the remote (``rearguard verify``, or the sample after a run)."""
    return readback.read_back(ctx, sample, run_plan, repair)
