"""Walking a big tree on several cores: the walk is CPU-bound Python, so it is split by subtree.

The parent walks the top of the tree, then forked worker processes each walk a share of the
subtrees left and send back their part. Forked workers inherit the parent's memory: nothing is
re-imported, and only the shares and the parts cross between processes. Used only where fork is
safe: Linux, from a process with a single thread (the CLI, not the GUI), and before the caller
starts any thread of its own.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

TOP_BUDGET = 64  # folders the parent walks before handing out subtrees
MIN_SUBTREES = 8  # fewer than this left after the top: not worth the processes
_MAX_WORKERS = 4

_T = TypeVar("_T")
_R = TypeVar("_R")


def fork_is_safe() -> bool:
    return sys.platform.startswith("linux") and threading.active_count() == 1


def worker_count(wanted: int | None = None) -> int:
    """How many processes a walk uses: the cores this process may run on, at most four, unless
    ``wanted`` says (a container limited to one core walks in one process)."""
    if wanted:
        return wanted
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(cores, _MAX_WORKERS)


def deal(pending: list[_T], workers: int) -> list[list[_T]]:
    """``pending`` in order, cut into about four slices per worker (one deep subtree holds no one up)."""
    size = max(1, len(pending) // (workers * 4))
    return [pending[i : i + size] for i in range(0, len(pending), size)]


def spread(pending: list[_T], workers: int, per_worker: int = 8) -> list[list[_T]]:
    """``pending`` dealt like cards into ``per_worker`` shares per worker: neighbours, often alike
    in size (the subfolders of one big folder), go to different shares, so shares come out even."""
    count = min(len(pending), workers * per_worker)
    return [pending[k::count] for k in range(count)]


class WorkerLost(Exception):
    """A worker ended without sending its part (killed, out of memory): walk again in one process."""


@contextmanager
def forked_map(func: Callable[[_T], _R], shares: list[_T], workers: int) -> Iterator[Iterator[_R]]:
    """``func`` of each share in forked workers; yields the results, in the order of ``shares``.

    The workers are forked on entry: start threads only after it. Reading the results raises
    WorkerLost when a worker ends without its result: they are never waited for forever. On
    leaving, shares not started are dropped and running ones waited for.
    """
    import multiprocessing  # only for a big walk: not on the path of every run
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_worker_start, initargs=(os.getpid(),)
    )
    try:
        # The first share forks every worker, before any thread. Frozen, the parent's objects are
        # never traversed by a worker's garbage collector: less work, and no copy of their pages.
        # Objects someone else froze stay frozen: only what this call froze is thawed.
        ours = gc.get_freeze_count() == 0
        if ours:
            gc.freeze()
        try:
            results = pool.map(func, shares)
        finally:
            if ours:
                gc.unfreeze()
        yield _results(results)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _results(results: Iterator[_R]) -> Iterator[_R]:
    from concurrent.futures.process import BrokenProcessPool

    try:
        yield from results
    except BrokenProcessPool as error:
        raise WorkerLost(str(error)) from None


def _worker_start(parent: int) -> None:
    """Workers stop on SIGTERM, leave Ctrl+C to the parent, and never outlive it.

    A forked worker inherits the CLI's handlers, which only set a cancel flag: without resetting
    SIGTERM a stop of the whole process group would be ignored. A parent killed outright (kill -9,
    a scheduler ending the task) would leave its workers waiting for work forever: the kernel is
    asked to end them with it.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    end_with_parent()
    if os.getppid() != parent:  # it ended before the kernel was asked
        os._exit(1)


def end_with_parent() -> bool:
    """Linux: have the kernel send SIGKILL to this process when its parent ends. False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0) == 0)
