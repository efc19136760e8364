"""Work on several cores in forked processes, where that is safe: CPU-bound Python (the walk of a
big tree, the comparison of files the page cache holds) is split among processes, which do not
share one interpreter lock as threads do.

Fork is used only on Linux and from a process with a single thread (the CLI, not the GUI): a fork
copies one thread, and a lock another thread held would stay locked in the child forever.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

Part = TypeVar("Part")
Result = TypeVar("Result")


def fork_is_safe() -> bool:
    return sys.platform.startswith("linux") and threading.active_count() == 1


def forked_map(
    work: Callable[[Part], Result],
    parts: Iterable[Part],
    workers: int,
    cancel: threading.Event | None = None,
) -> Iterator[Result]:
    """``work`` of each part in ``workers`` forked processes, results in the parts' order.

    ``work`` must be a module-level function (it is sent by name); what it needs beyond its part
    it finds in module globals set before this is called (a fork inherits them). On cancel, or
    when the caller stops reading, the workers are ended at once.
    """
    import multiprocessing  # only for big work: not on the path of every run

    pool = multiprocessing.get_context("fork").Pool(workers, initializer=_worker_signals)
    finished = False
    try:
        for result in pool.imap(work, parts):
            yield result
            if cancel is not None and cancel.is_set():
                break
        else:
            finished = True
    finally:
        if finished:
            pool.close()
        else:
            pool.terminate()
        pool.join()


def _worker_signals() -> None:
    """Workers stop on SIGTERM and leave Ctrl+C to the parent.

    A forked worker inherits the CLI's handlers, which only set a cancel flag: without this,
    the pool's SIGTERM at shutdown would be ignored and the run would wait forever.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
