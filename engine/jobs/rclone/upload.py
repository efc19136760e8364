"""The run's one batched upload: ``rclone copy --files-from-raw``, read as it streams.

A file is done when rclone logs it copied. After a clean exit, the files rclone said nothing about
(a first run's files already on the remote, or a log line lost) are looked up on the remote with
one ``rclone lsjson``: done when it holds them as they were sent, else failed and sent again next run.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence

from engine.core.context import RunContext
from engine.core.errors import ToolUnavailable
from engine.core.plan import Action
from engine.core.report import ItemResult
from engine.jobs.rclone import command, look
from engine.jobs.rclone.settings import Job
from engine.jobs.rclone.stream import run_streaming
from engine.jobs.rclone.tally import NOT_CONFIRMED, UPLOAD, StopOrCancel, Watcher, attempt_note, write_list
from engine.tools.redact import redact

# A first run's files already on the remote get no line (rclone skips them), nor does a file
# whose line was lost: either way the look found it there as it was sent.
CONFIRMED_BY_LOOK = "confirmed by a look at the remote (rclone logged no line for it)"


def upload(
    ctx: RunContext, job: Job, binary: str, actions: Sequence[Action], *, adopt: bool, traverse: bool
) -> list[ItemResult]:
    """Upload ``actions`` in one rclone call; one ItemResult per action, in order."""
    if not actions:
        return []
    watcher = Watcher(ctx, actions, stop=StopOrCancel(ctx.cancel))
    versions = command.versions_dir(job.remote, ctx.run_stamp) if job.versions else None
    with tempfile.TemporaryDirectory(prefix="rearguard-rclone-") as folder:
        list_file = write_list(folder, [a.path for a in actions])
        argv = command.upload_argv(
            binary,
            str(job.source),
            job.remote,
            list_file,
            versions_dir=versions,
            transfers=job.transfers,
            config=job.config,
            traverse=traverse,
            adopt=adopt,
        )
        ctx.log.info("uploading %d file(s) with one rclone call", len(actions))
        result = run_streaming(argv, watcher, cancel=watcher.stop, secrets=ctx.secrets)
    fatal = watcher.unreachable(result)
    if fatal:
        raise ToolUnavailable(f"remote {redact(job.remote, ctx.secrets)} became unreachable: {fatal}")
    silent = watcher.silent(result)
    return watcher.results(result, confirm_uploads(ctx, job, binary, silent) if silent else {})


def confirm_uploads(
    ctx: RunContext, job: Job, binary: str, silent: Sequence[Action]
) -> dict[str, ItemResult]:
    """Verdicts on the files rclone said nothing about: gone from the source, or as the remote shows them."""
    out: dict[str, ItemResult] = {}
    ask = []
    for action in silent:
        if os.path.lexists(job.source / action.path):
            ask.append(action)
        else:  # it left the source before rclone read it
            out[action.path] = ItemResult(action.path, UPLOAD, "skipped", "no longer in the source")
    if not ask:
        return out
    ctx.log.info("rclone gave no line for %d file(s); looking at the remote", len(ask))
    try:
        remote, failure = look.look(ctx, job, binary, [a.path for a in ask]), ""
    except look.LookFailed as error:
        remote, failure = look.Remote(), f"the remote could not be looked at: {error}"
    for action in ask:
        if ctx.cancel.is_set():
            item = ItemResult(action.path, UPLOAD, "skipped", "cancelled before rclone confirmed it")
        elif problem := failure or look.upload_problem(action, remote):
            message = f"{NOT_CONFIRMED} ({problem})"
            ctx.log.warning("upload not confirmed: %s — %s", redact(action.path, ctx.secrets), message)
            item = ItemResult(action.path, UPLOAD, "failed", message + attempt_note(action))
        else:
            item = ItemResult(action.path, UPLOAD, "done", CONFIRMED_BY_LOOK, action.bytes)
        out[action.path] = item
    return out
