"""The run's one batched upload: ``rclone copy --files-from-raw``, read as it streams."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence

from engine.core.context import RunContext
from engine.core.errors import ToolUnavailable
from engine.core.plan import Action
from engine.core.report import ItemResult
from engine.jobs.rclone import command
from engine.jobs.rclone.settings import Job
from engine.jobs.rclone.stream import run_streaming
from engine.jobs.rclone.tally import UPLOAD, StopOrCancel, Watcher, write_list
from engine.tools.redact import redact


def upload(
    ctx: RunContext, job: Job, binary: str, actions: Sequence[Action], *, adopt: bool, traverse: bool
) -> list[ItemResult]:
    """Upload ``actions`` in one rclone call; one ItemResult per action, in order."""
    if not actions:
        return []
    watcher = Watcher(ctx, actions, stop=StopOrCancel(ctx.cancel))
    versions = command.versions_dir(job.remote, ctx.run_stamp) if job.versions else None

    def already_there(action: Action) -> ItemResult | None:
        # A clean exit without a line: rclone found the file already on the remote (adopt mode),
        # or it left the source before rclone read it.
        if not os.path.lexists(job.source / action.path):
            return ItemResult(action.path, UPLOAD, "skipped", "no longer in the source")
        if not adopt:  # every listed file is sent (--ignore-times): silence means rclone skipped it
            return ItemResult(action.path, UPLOAD, "failed", "rclone did not send it and gave no reason")
        return ItemResult(action.path, UPLOAD, "done", "already on the remote", action.bytes)

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
    return watcher.results(result, already_there)
