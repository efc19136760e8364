"""Files gone from the source leave the remote in a separate, later step, and only when it is safe.

The step is skipped when any upload failed (as rclone's sync skips deletions after errors), refused
before the run starts when it would remove more than ``max_delete_percent`` of the indexed files
or everything, and moves each file into the run's versions folder rather than deleting it. A
removal is confirmed by rclone's ``Moved``/``Deleted`` line, or by a look at the remote (one
``rclone lsjson``) that no longer finds the file; an unconfirmed one is tried again next run.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.core.context import RunContext
from engine.core.errors import SafetyRefusal
from engine.core.plan import Action
from engine.core.report import ItemResult
from engine.jobs.rclone import command, look
from engine.jobs.rclone.settings import Job
from engine.jobs.rclone.stream import run_streaming
from engine.jobs.rclone.tally import DELETE_NOT_CONFIRMED, Watcher
from engine.tools.redact import redact

DELETE = "delete"


def delete_guard(deletes: int, indexed: int, scanned: int, max_percent: float) -> str | None:
    """Why this many deletions must not happen, or None when they may."""
    if not deletes:
        return None
    if scanned == 0:
        return (
            f"the source is empty but {indexed} file(s) were uploaded before; an unplugged disk "
            "or unmounted share would otherwise empty the remote. Nothing was uploaded or deleted"
        )
    share = 100.0 * deletes / max(indexed, 1)
    if share > max_percent:
        return (
            f"the run would delete {deletes} of {indexed} file(s) on the remote ({share:.0f} %), "
            f"more than max_delete_percent = {max_percent:g}. Nothing was uploaded or deleted; "
            "check the source, or raise [rclone].max_delete_percent for one run"
        )
    return None


def check_deletes(deletes: int, indexed: int, scanned: int, max_percent: float) -> None:
    reason = delete_guard(deletes, indexed, scanned, max_percent)
    if reason:
        raise SafetyRefusal(reason)


def skipped(actions: Sequence[Action], why: str) -> list[ItemResult]:
    return [ItemResult(a.path, DELETE, "skipped", why) for a in actions]


def delete_on_remote(ctx: RunContext, job: Job, binary: str, actions: Sequence[Action]) -> list[ItemResult]:
    """Move the files of ``actions`` off the remote (into versions) with one rclone call."""
    if not actions:
        return []
    watcher = Watcher(ctx, actions, action=DELETE)
    versions = command.versions_dir(job.remote, ctx.run_stamp) if job.versions else None
    argv = command.delete_argv(
        binary, job.remote, command.FROM_INPUT, versions_dir=versions, config=job.config
    )
    ctx.log.info(
        "removing %d file(s) from the remote%s", len(actions), " (kept under versions)" if versions else ""
    )
    paths = [a.path for a in actions]
    result = run_streaming(
        argv, paths, watcher, cancel=ctx.cancel, secrets=ctx.secrets, paused=ctx.pause.is_set
    )
    fatal = watcher.unreachable(result)
    if fatal:
        return [ItemResult(a.path, DELETE, "failed", f"remote unreachable: {fatal}") for a in actions]
    silent = watcher.silent(result)
    return watcher.results(result, confirm_removals(ctx, job, binary, silent) if silent else {})


def confirm_removals(
    ctx: RunContext, job: Job, binary: str, silent: Sequence[Action]
) -> dict[str, ItemResult]:
    """Verdicts on the removals rclone said nothing about: done when the remote no longer has the file."""
    ctx.log.info("rclone gave no line for %d removal(s); looking at the remote", len(silent))
    try:
        remote, failure = look.look(ctx, job, binary, [a.path for a in silent]), ""
    except look.LookFailed as error:
        remote, failure = look.Remote(), f"the remote could not be looked at: {error}"
    out: dict[str, ItemResult] = {}
    for action in silent:
        if ctx.cancel.is_set():
            item = ItemResult(action.path, DELETE, "skipped", "cancelled before rclone confirmed it")
        elif problem := failure or ("it is still on the remote" if remote.get(action.path) else ""):
            message = f"{DELETE_NOT_CONFIRMED} ({problem})"
            ctx.log.warning("removal not confirmed: %s — %s", redact(action.path, ctx.secrets), message)
            item = ItemResult(action.path, DELETE, "failed", message)
        else:
            item = ItemResult(action.path, DELETE, "done", "no longer on the remote")
        out[action.path] = item
    return out
