"""The run's one batched upload: ``rclone copy --files-from-raw``, read as it streams.

A file is done when rclone logs it copied. After a clean exit, the files rclone said nothing about
(a first run's files already on the remote, or a log line lost) are looked up on the remote with
one ``rclone lsjson``: done when it holds them as they were sent, else failed and sent again next run.

The profile's ``bwlimit`` is rclone's own ``--bwlimit``. A pause suspends rclone's process tree;
files whose connection the remote dropped during a long pause fail just after the resume, and are
sent again at once with one more call (rclone's own retries do not cover a transfer cut midway).
A scheduled run's window end becomes ``--max-duration`` with a soft cut-off: the files under way
finish, the rest are skipped and go with the next run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from engine.core.context import RunContext
from engine.core.plan import Action
from engine.core.report import ItemResult
from engine.jobs.rclone import ahead, command, look, preflight
from engine.jobs.rclone.settings import Job
from engine.jobs.rclone.tally import NOT_CONFIRMED, UPLOAD, WINDOW_CLOSED, StopOrCancel, Watcher, attempt_note
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
    if ctx.window_closed.is_set():
        ctx.left_by_window(len(actions))
        return [ItemResult(a.path, UPLOAD, "skipped", WINDOW_CLOSED) for a in actions]
    results = _upload_once(ctx, job, binary, actions, adopt=adopt, traverse=traverse, first=True)
    again = [a for a, r in zip(actions, results, strict=True) if r.status == "failed" and r.message == _AGAIN]
    if again and not ctx.stopping():
        ctx.log.info("sending %d file(s) again: their connection was dropped during the pause", len(again))
        redone = {r.path: r for r in _upload_once(ctx, job, binary, again, adopt=False, traverse=False)}
        results = [redone.get(r.path, r) for r in results]
    ctx.left_by_window(sum(1 for r in results if r.message == WINDOW_CLOSED))
    return [_final(r) for r in results]


_AGAIN = "\0again"  # a marker between _upload_once and upload, never shown


def _final(item: ItemResult) -> ItemResult:
    if item.message != _AGAIN:
        return item
    return ItemResult(item.path, UPLOAD, "failed", "the connection was lost after a pause; sent next run")


def _upload_once(
    ctx: RunContext,
    job: Job,
    binary: str,
    actions: Sequence[Action],
    *,
    adopt: bool,
    traverse: bool,
    first: bool = False,
) -> list[ItemResult]:
    """One rclone call; ``first``: the run's first contact with the remote (no call asked it before)."""
    watcher = Watcher(ctx, actions, stop=StopOrCancel(ctx.cancel))
    window = None
    if ctx.window_end is not None:
        window = (ctx.window_end - ctx.clock()).total_seconds()
    argv = upload_argv(job, binary, ctx.run_stamp, traverse=traverse, adopt=adopt, window=window)
    # The run's first upload may have been started as its session opened (ahead.py).
    with ahead.command(ctx, ahead.UPLOAD if first else None, lambda _folder: argv) as (started, _):
        ctx.log.info("uploading %d file(s) with one rclone call", len(actions))
        result = started.run([a.path for a in actions], watcher, cancel=watcher.stop, paused=ctx.pause.is_set)
    # rclone reached nothing: it could not start its work, or (on the run's first contact with the
    # remote, a backend that connects only per file) gave up before confirming one file. Either way
    # this is the reachability check's error, and nothing is recorded.
    fatal = watcher.unreachable(result)
    if first and not fatal and watcher.gone is not None and not watcher.tally.confirmed:
        fatal = watcher.gone
    if fatal:
        raise preflight.unreachable(job.remote, result.returncode, fatal, ctx.secrets)
    silent = watcher.silent(result)
    results = watcher.results(result, confirm_uploads(ctx, job, binary, silent) if silent else {})
    return [
        ItemResult(r.path, UPLOAD, "failed", _AGAIN)
        if r.status == "failed" and r.path in watcher.after_pause
        else r
        for r in results
    ]


def upload_argv(
    job: Job, binary: str, stamp: str, *, traverse: bool, adopt: bool, window: float | None = None
) -> list[str]:
    """The upload's command line (``stamp``: the run's, naming its versions folder); the list comes on
    standard input."""
    return command.upload_argv(
        binary,
        str(job.source),
        job.remote,
        command.FROM_INPUT,
        versions_dir=command.versions_dir(job.remote, stamp) if job.versions else None,
        transfers=job.transfers,
        config=job.config,
        traverse=traverse,
        adopt=adopt,
        bwlimit=job.bwlimit,
        max_duration=window,
    )


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
