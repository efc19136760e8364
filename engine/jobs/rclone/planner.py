"""Deciding a run from the scan, its diff with the index, and the retry queue: pure, no disk, no rclone.

Upload: files that are new or whose size or mtime_ns differ from what was last uploaded, plus every
file still in the retry queue. Delete: indexed files the source no longer has, except those the
scan could not see (unreadable, or below an unreadable folder: unknown, not gone) and those that an
exclude or ``include_hidden = false`` now leaves out: they stay on the remote, and in the index,
unless ``delete_excluded`` asks for them to go like any deletion.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.core.plan import Action, ActionKind, Plan
from engine.jobs.rclone.diff import Diff
from engine.jobs.rclone.index import RetryEntry
from engine.jobs.rclone.scan import Scan, excluder, keeper

NEW, CHANGED, RETRY = "new", "changed", "retry"
GONE, EXCLUDED = "gone", "excluded"  # why a delete: gone from the source, or now left out by a filter
DROP_RETRY = "dropped_from_retry_queue"
FAILED = "failed"  # a note's key for a path that could not be read (reported as a failed item)
KEPT_EXCLUDED = "kept_excluded"  # plan.extra: indexed files a filter now leaves out, kept on the remote


def _upload(path: str, size: int, mtime_ns: int, reason: str, retry: RetryEntry | None) -> Action:
    detail: tuple[tuple[str, object], ...] = (("reason", reason),)
    if retry is not None:
        detail += (("attempts", retry.attempts), ("last_error", retry.error))
    return Action(ActionKind.UPLOAD, path, bytes=size, mtime_ns=mtime_ns, detail=detail)


def _note(path: str, why: str, drop_retry: bool) -> Action:
    """A path looked at and not uploaded; ``drop_retry``: it leaves the retry queue."""
    detail: tuple[tuple[str, object], ...] = (("skipped", why),)
    if drop_retry:
        detail += ((DROP_RETRY, True),)
    return Action(ActionKind.UPLOAD, path, detail=detail)


def compare(
    scan: Scan,
    diff: Diff,
    retries: Mapping[str, RetryEntry],
    *,
    delete_excluded: bool = False,
) -> Plan:
    """The plan for one run from the scan's notes and its ``diff`` with the index (actions sorted:
    uploads by path, then deletes by path)."""
    uploads = []
    for path, (seen, known) in diff.differ.items():
        reason = NEW if known is None else CHANGED if known != seen else RETRY
        uploads.append(_upload(path, *seen, reason, retries.get(path)))
    kept, excluded = keeper(scan), excluder(scan.rules)
    deletes, kept_excluded = [], 0
    for path, size in diff.gone.items():
        if kept(path):
            continue
        reason = GONE
        if excluded(path):
            if not delete_excluded:
                kept_excluded += 1
                continue
            reason = EXCLUDED
        deletes.append(Action(ActionKind.DELETE, path, bytes=size, detail=(("reason", reason),)))
    notes = [_note(path, why, path in retries) for path, why in scan.left_out.items()]
    notes += [Action(ActionKind.UPLOAD, path, detail=((FAILED, why),)) for path, why in scan.failed.items()]
    for path in retries:
        if path in diff.differ or kept(path):  # every retry the scan listed is in differ
            continue
        why = (
            "left out by [rclone].exclude or include_hidden" if excluded(path) else "no longer in the source"
        )
        notes.append(_note(path, why, True))
    uploads.sort(key=lambda a: a.path)
    deletes.sort(key=lambda a: a.path)
    notes.sort(key=lambda a: a.path)
    extra = {KEPT_EXCLUDED: kept_excluded} if kept_excluded else {}
    return Plan(actions=tuple(uploads + deletes), notes=tuple(notes), extra=extra)
