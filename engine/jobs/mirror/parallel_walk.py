"""Comparing big trees on several cores: the walk is CPU-bound Python, so it is split by subtree.

The parent process walks the top of the tree until it has enough pending subtrees, then worker
processes (forked, so nothing is re-imported) each walk a share and send back their part of the
plan. Parents are always planned before their children; the order is deterministic.
Used only where fork is safe: Linux, from a process with a single thread (the CLI, not the GUI).
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from engine.core.filters import PathFilter
from engine.jobs.mirror.walk import Pair, Walk, compare_trees, walk_pairs

TOP_BUDGET = 64  # folders the parent walks before handing out subtrees
MIN_SUBTREES = 8
_job: tuple[PathFilter, bool, int] | None = None  # inherited by forked workers


def _walk_share(pairs: list[Pair]) -> Walk:
    assert _job is not None
    filt, delete, step = _job
    part = Walk()
    walk_pairs(part, list(reversed(pairs)), filt, delete, step)
    return part


def fork_is_safe() -> bool:
    return sys.platform.startswith("linux") and threading.active_count() == 1


def _merge(into: Walk, part: Walk) -> None:
    into.copies += part.copies
    into.deletes += part.deletes
    into.notes += part.notes
    into.leftovers += part.leftovers
    into.unreadable += part.unreadable
    into.folders += part.folders
    into.blocked |= part.blocked
    into.source_entries += part.source_entries
    into.source_others += part.source_others
    into.replica_files += part.replica_files
    into.delete_files += part.delete_files


def compare_trees_fast(
    source: str,
    replica: str,
    filt: PathFilter,
    *,
    delete: bool = True,
    mtime_step: int = 1,
    workers: int | None = None,
) -> Walk:
    """``compare_trees`` on up to ``workers`` cores (default: the machine's), same result."""
    workers = workers or min(os.cpu_count() or 1, 4)
    if workers < 2 or not fork_is_safe() or not os.path.isdir(replica):
        # A first copy has nothing to compare; sending its whole plan between processes costs more.
        return compare_trees(source, replica, filt, delete=delete, mtime_step=mtime_step)
    walk = Walk()
    pending = walk_pairs(walk, [("", source, replica)], filt, delete, mtime_step, budget=TOP_BUDGET)
    if len(pending) < MIN_SUBTREES:
        walk_pairs(walk, pending, filt, delete, mtime_step)
        return walk
    # The stack pops from its end: visit subtrees in that order, dealt out round-robin in slices.
    ordered = list(reversed(pending))
    shares = [
        ordered[i : i + max(1, len(ordered) // (workers * 4))]
        for i in range(0, len(ordered), max(1, len(ordered) // (workers * 4)))
    ]
    global _job
    _job = (filt, delete, mtime_step)
    import multiprocessing  # only for a big walk: not on the path of every run

    pool = multiprocessing.get_context("fork").Pool(workers, initializer=_worker_signals)
    try:
        for part in pool.imap(_walk_share, shares):
            _merge(walk, part)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
        _job = None
    return walk


def _worker_signals() -> None:
    """Workers stop on SIGTERM and leave Ctrl+C to the parent.

    A forked worker inherits the CLI's handlers, which only set a cancel flag: without this,
    the pool's SIGTERM at shutdown would be ignored and the run would wait forever.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
