"""Descriptors every tool Rearguard starts inherits: the profile locks this process holds.

On POSIX a tool started during a run inherits the run's profile lock, so after a crash an orphaned
rclone that is still uploading keeps the profile locked until it ends, and the next run cannot race
it on the same files. The lock module registers its descriptors here; ``run_process`` passes them on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_shared: set[int] = set()
_guard = threading.Lock()  # no descriptor is closed while a tool is being started with it


def share_with_tools(fd: int) -> None:
    """Every tool started from now on inherits ``fd``."""
    with _guard:
        _shared.add(fd)


@contextmanager
def unshared(fd: int) -> Iterator[None]:
    """``with unshared(fd):`` close ``fd`` knowing no tool is being started with it meanwhile."""
    with _guard:
        _shared.discard(fd)
        yield


@contextmanager
def inherited_fds() -> Iterator[tuple[int, ...]]:
    """``with inherited_fds() as fds:`` start a tool that inherits every shared descriptor."""
    with _guard:
        yield tuple(_shared)
