"""Moving a file's bytes from one open descriptor to another, with the fastest call the system has.

In order: ``os.copy_file_range`` (Linux 5.3+: an in-kernel copy, a reflink on btrfs/XFS/NFS 4.2
where they can), ``os.sendfile`` (Linux, macOS's is for sockets only and refuses a file: the
fallback catches that), then plain ``read``/``write``. A call a file system does not offer fails on
its first block (EXDEV, EINVAL, ENOSYS, EOPNOTSUPP...) and the next way takes over from byte 0.

While a large file is copied its first blocks are already sent to the disk (``start_writeback``),
so the flush before its rename waits only for the last block instead of the whole file.
"""

from __future__ import annotations

import errno
import os
import sys
import threading
from collections.abc import Callable

from engine.files.flush import start_writeback
from engine.files.pacing import Pacer

CHUNK = 32 * 1024 * 1024  # a block between cancel/progress checks when no pace is set
PROGRESS_FROM = 1024 * 1024  # smaller files report no progress
_HAS_RANGE = hasattr(os, "copy_file_range")
_HAS_SENDFILE = hasattr(os, "sendfile")
# The call itself is missing or refuses this pair of files: try the next way (nothing copied yet).
_UNSUPPORTED = frozenset(
    {errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EBADF, errno.ENOTSOCK}
)


class CopyCancelled(Exception):
    """The copy stopped because the run was cancelled; the temporary file is removed."""


def copy_data(
    src_fd: int,
    dst_fd: int,
    size: int,
    cancel: threading.Event | None,
    progress: Callable[[int], None] | None,
    pace: Pacer | None = None,
) -> int:
    """Copy ``src_fd`` to ``dst_fd`` until EOF; returns bytes copied.

    ``pace`` is called after every block (pause and bandwidth limit; see ``engine.files.pacing``).
    """
    chunk = CHUNK if pace is None else pace.block
    if progress is not None and size < PROGRESS_FROM:
        progress = None
    for way in _ways():
        done = _in_kernel(way, src_fd, dst_fd, size, chunk, cancel, progress, pace)
        if done is not None:
            return done
    return _read_write(src_fd, dst_fd, chunk, cancel, progress, pace)


def _ways() -> list[str]:
    if sys.platform == "win32":
        return []
    return (["range"] if _HAS_RANGE else []) + (["sendfile"] if _HAS_SENDFILE else [])


def _in_kernel(
    way: str,
    src_fd: int,
    dst_fd: int,
    size: int,
    chunk: int,
    cancel: threading.Event | None,
    progress: Callable[[int], None] | None,
    pace: Pacer | None,
) -> int | None:
    """Copy with ``way``; None when the system or file system does not offer it (nothing written)."""
    if sys.platform == "win32":  # (the platform test tells mypy too)
        return None
    done = 0
    while True:
        if cancel is not None and cancel.is_set():
            raise CopyCancelled()
        try:
            sent: int
            if way == "range" and sys.platform.startswith("linux"):
                sent = os.copy_file_range(src_fd, dst_fd, chunk, done, done)
            else:
                sent = os.sendfile(dst_fd, src_fd, done, chunk)
        except OSError as error:
            if done == 0 and error.errno in _UNSUPPORTED:
                return None
            raise
        if sent == 0:
            if done == 0 and size > 0:
                return None  # copies nothing from a file that has data (some virtual file systems)
            return done
        done += sent
        if pace is not None:
            pace(sent)
        if done == size and size < chunk:
            return done  # small file complete: skip the extra call that would return 0
        if size >= chunk:
            start_writeback(dst_fd, done - sent, sent)
        if progress is not None:
            progress(done)


def _read_write(
    src_fd: int,
    dst_fd: int,
    chunk: int,
    cancel: threading.Event | None,
    progress: Callable[[int], None] | None,
    pace: Pacer | None,
) -> int:
    done = 0
    os.lseek(src_fd, 0, os.SEEK_SET)
    os.lseek(dst_fd, 0, os.SEEK_SET)
    os.ftruncate(dst_fd, 0)
    block_size = min(chunk, 8 * 1024 * 1024)
    while True:
        if cancel is not None and cancel.is_set():
            raise CopyCancelled()
        block = os.read(src_fd, block_size)
        if not block:
            return done
        view = memoryview(block)
        while view:
            written = os.write(dst_fd, view)
            view = view[written:]
        done += len(block)
        if pace is not None:
            pace(len(block))
        if progress is not None:
            progress(done)
