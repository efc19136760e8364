"""The source scan on several cores (engine.files.forked), set against the index where it runs.

The parent walks the top of the source and forks the workers; each walks a share of the subtrees
left, reads the index rows under them with a connection of its own and sends back only its
``Diff``: the files that differ and the indexed ones it did not see (a change or two, not
100,000 files). Meanwhile the parent sets its own files (the top of the tree) against the rows
outside every subtree. The path ranges of the subtrees and the gaps between them cover every
path once, so the merged diff equals the one-process ``diff_rows`` of the whole scan.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager

from engine.core.errors import Cancelled
from engine.files.forked import (
    MIN_SUBTREES,
    TOP_BUDGET,
    WorkerLost,
    fork_is_safe,
    forked_map,
    spread,
    worker_count,
)
from engine.jobs.rclone.diff import Diff, diff_rows
from engine.jobs.rclone.index import IndexRows
from engine.jobs.rclone.scan import Folder, Rules, Scan, new_scan, scan_rules, scan_tree, walk

# A worker's part: its diff, then left_out, failed and unreadable.
_Part = tuple[Diff, dict[str, str], dict[str, str], list[str]]
Finish = Callable[[], tuple[Scan, Diff]]

log = logging.getLogger("rearguard.rclone")
_shared: tuple[Rules, IndexRows, Collection[str]] | None = None  # inherited by forked workers
_own: tuple[int, IndexRows] | None = None  # a worker's own connection to the index, with its pid


def subtree_range(rel: str) -> tuple[str, str]:
    """The paths below folder ``rel`` (ending in "/") are exactly those in [rel, rel with "/" -> "0")."""
    return rel, rel[:-1] + "0"  # "0" follows "/" in code point (and UTF-8 byte) order


def gaps(pending: Iterable[Folder]) -> list[tuple[str, str | None]]:
    """The path ranges outside every subtree in ``pending`` (disjoint folders): the parent's part."""
    out: list[tuple[str, str | None]] = []
    start = ""
    for low, high in sorted(subtree_range(rel) for rel, _ in pending):
        out.append((start, low))
        start = high
    out.append((start, None))
    return out


def _scan_share(share: list[Folder]) -> _Part:
    assert _shared is not None
    rules, rows, retries = _shared
    part = Scan()
    walk(part, list(share), rules, None)
    try:
        own = _own_rows(rows)
        diff = diff_rows(part.files, _ranges(own, (subtree_range(rel) for rel, _ in share)), retries)
    except sqlite3.Error as error:  # the parent reads the index through its own connection instead
        raise WorkerLost(f"it cannot read the index: {error}") from None
    return diff, part.left_out, part.failed, part.unreadable


def _own_rows(rows: IndexRows) -> IndexRows:
    """This worker's connection to the index, opened for its first share and kept for the others
    (a read-only connection outside a transaction holds no lock: it ends with the worker)."""
    global _own
    pid = os.getpid()
    if _own is None or _own[0] != pid:
        _own = pid, rows.reopened()
    return _own[1]


def _ranges(rows: IndexRows, ranges: Iterable[tuple[str, str | None]]) -> Iterator[tuple[str, int, int]]:
    for start, end in ranges:
        yield from rows.between(start, end)


def _merge(scan: Scan, diff: Diff, part: _Part) -> None:
    found, left_out, failed, unreadable = part
    diff.add(found)
    scan.left_out.update(left_out)
    scan.failed.update(failed)
    scan.unreadable += unreadable


def _scan_again(
    root: str,
    rules: Rules,
    rows: IndexRows,
    retries: Collection[str],
    cancel: threading.Event | None,
    error: WorkerLost,
) -> tuple[Scan, Diff]:
    """The whole scan in this process, after a worker ended without its part."""
    if cancel is not None and cancel.is_set():
        raise Cancelled()  # a stop for the whole process group ended the workers too
    log.warning("a scan worker did not finish (%s): the source is scanned again in one process", error)
    scan = scan_tree(root, rules, cancel)
    return scan, diff_rows(scan.files, rows.between(), retries)


@contextmanager
def scanning(
    root: str,
    rows: IndexRows,
    retries: Collection[str] = (),
    *,
    include_hidden: bool,
    exclude: Sequence[str] = (),
    never: Iterable[str] = (),
    cancel: threading.Event | None = None,
    workers: int | None = None,
    on_change: Callable[[], None] | None = None,
) -> Iterator[Finish]:
    """Start scanning ``root``; yields a function that finishes the scan and returns it with its
    diff against the index ``rows`` (the scan's ``files`` are used up by the diff).

    ``on_change`` is called once, as soon as the first new or changed file is known: while the
    workers still walk, so the caller can start what the changes will need.

    Where forking is safe and the tree is big enough, the workers start on entry (start threads
    only inside the block) and run while the caller does other work. Otherwise the whole walk
    happens when the result is asked for, in this process. Same result either way, same errors:
    ProfileError for a bad pattern (on entry), Cancelled when ``cancel`` is set.
    """
    global _shared
    rules = scan_rules(include_hidden, exclude, never)
    scan = new_scan(rules)
    pending: list[Folder] = [("", root)]
    workers = worker_count(workers)
    # A worker opens its own connection; one in a transaction at the fork is not safe to copy.
    if workers >= 2 and fork_is_safe() and not rows.conn.in_transaction:
        pending = walk(scan, pending, rules, cancel, budget=TOP_BUDGET, breadth_first=True)

    def changed(diff: Diff) -> None:
        nonlocal on_change
        call = on_change
        if call is not None and diff.differ:
            on_change = None
            call()

    def walk_rest() -> tuple[Scan, Diff]:
        walk(scan, pending, rules, cancel)
        diff = diff_rows(scan.files, rows.between(), retries)
        changed(diff)
        return scan, diff

    if len(pending) < MIN_SUBTREES:
        yield walk_rest
        return
    _shared = rules, rows, retries
    try:
        with forked_map(_scan_share, spread(pending, workers), workers) as parts:
            diff = diff_rows(scan.files, _ranges(rows, gaps(pending)), retries)  # the top, meanwhile
            changed(diff)

            def gather() -> tuple[Scan, Diff]:
                try:
                    for part in parts:  # share by share, as the workers finish them
                        _merge(scan, diff, part)
                        changed(diff)
                except WorkerLost as error:
                    again = _scan_again(root, rules, rows, retries, cancel, error)
                    changed(again[1])
                    return again
                if cancel is not None and cancel.is_set():  # the workers cannot see it
                    raise Cancelled()
                return scan, diff

            yield gather
    finally:
        _shared = None
