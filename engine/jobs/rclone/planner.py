"""Deciding a run from the scan, the index and the retry queue: a pure function, no disk, no rclone.

Upload: files that are new or whose size or mtime_ns differ from what was last uploaded, plus every
file still in the retry queue. Delete: indexed files the source no longer has, except those in
folders that could not be read this time (their files are unknown, not gone).
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.core.plan import Action, ActionKind, Plan
from engine.jobs.rclone.index import RetryEntry
from engine.jobs.rclone.scan import Scan, under_any

NEW, CHANGED, RETRY = "new", "changed", "retry"
DROP_RETRY = "dropped_from_retry_queue"


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


def compare(scan: Scan, index: Mapping[str, tuple[int, int]], retries: Mapping[str, RetryEntry]) -> Plan:
    """The plan for one run (actions sorted: uploads by path, then deletes by path)."""
    files, get = scan.files, index.get
    # The common case first, as one tight pass: most files match what was last uploaded.
    differ = [path for path, seen in files.items() if get(path) != seen]
    differ += [path for path in retries if path in files and get(path) == files[path]]
    uploads = []
    for path in differ:
        size, mtime_ns = files[path]
        known = get(path)
        reason = NEW if known is None else CHANGED if known != (size, mtime_ns) else RETRY
        uploads.append(_upload(path, size, mtime_ns, reason, retries.get(path)))
    gone = [path for path in index.keys() - files.keys() if path not in scan.left_out]
    deletes = [
        Action(ActionKind.DELETE, path, bytes=index[path][0])
        for path in gone
        if not under_any(path, scan.unreadable)
    ]
    notes = [_note(path, why, path in retries) for path, why in scan.left_out.items()]
    notes += [
        _note(path, "no longer in the source", True)
        for path in retries
        if path not in scan.files and path not in scan.left_out and not under_any(path, scan.unreadable)
    ]
    uploads.sort(key=lambda a: a.path)
    deletes.sort(key=lambda a: a.path)
    notes.sort(key=lambda a: a.path)
    return Plan(actions=tuple(uploads + deletes), notes=tuple(notes))
