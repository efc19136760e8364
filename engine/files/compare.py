"""Reading two files back and comparing their content: what a verify trusts instead of size and time.

Both files are read in large blocks and compared byte for byte: cheaper than hashing both sides
(no hash to compute) and exact. A source that changes while it is read is not compared (its size or
time differs afterwards): the next verify reads it again.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass

BLOCK = 1 << 20  # 1 MiB: few system calls, little memory

SAME = "same"
DIFFERS = "differs"
MISSING = "missing"
UNREADABLE = "unreadable"
CHANGED = "changed"  # the source changed while it was read: not comparable now
MOVED_ON = "moved on"  # the source was changed since the copy was made (the caller's rule says so)


@dataclass(frozen=True, slots=True)
class Comparison:
    outcome: str  # SAME | DIFFERS | MISSING | UNREADABLE | CHANGED
    detail: str = ""
    bytes: int = 0  # bytes read from the source


def _signature(st: os.stat_result) -> tuple[int, int]:
    return st.st_size, st.st_mtime_ns


def _open(path: str) -> int:
    return os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))


def compare_files(
    source: str,
    copy: str,
    cancel: threading.Event | None = None,
    moved_on: Callable[[os.stat_result, os.stat_result], str | None] | None = None,
) -> Comparison:
    """Compare ``copy`` (on the target) with ``source`` byte for byte.

    ``moved_on(source_stat, copy_stat)`` may say why the two are not comparable (the source was
    changed since the copy was made): then nothing is read. Plain descriptors and reads sized to
    the file: a small file costs two opens, three fstats, one read per side and no buffer bigger
    than itself; copies of another size differ without a read.
    """
    try:
        src = _open(source)
    except FileNotFoundError:
        return Comparison(CHANGED, "the source is gone")
    except OSError as error:
        return Comparison(UNREADABLE, _why(error, "source"))
    try:
        try:
            dst = _open(copy)
        except FileNotFoundError:
            return Comparison(MISSING, "not on the target")
        except OSError as error:
            return Comparison(UNREADABLE, _why(error, "copy"))
        try:
            return _compare_fds(src, dst, cancel, moved_on)
        finally:
            os.close(dst)
    finally:
        os.close(src)


def _compare_fds(
    src: int,
    dst: int,
    cancel: threading.Event | None,
    moved_on: Callable[[os.stat_result, os.stat_result], str | None] | None,
) -> Comparison:
    before, copy = os.fstat(src), os.fstat(dst)
    reason = moved_on(before, copy) if moved_on is not None else None
    if reason:
        return Comparison(MOVED_ON, reason)
    if not stat.S_ISREG(copy.st_mode):
        return Comparison(UNREADABLE, "the copy cannot be read: it is not a file")
    size = before.st_size
    if copy.st_size != size:
        return Comparison(DIFFERS, f"{copy.st_size:,} bytes on the target, {size:,} in the source")
    result = _compare_open(src, dst, size, cancel)
    if result.outcome != UNREADABLE and _signature(os.fstat(src)) != _signature(before):
        return Comparison(CHANGED, "the source changed while it was read", result.bytes)
    return result


def _read(fd: int, size: int) -> bytes:
    """``size`` bytes, or fewer only at the end of the file (a network file system may return less)."""
    data = os.read(fd, size)
    if 0 < len(data) < size:
        parts = [data]
        got = len(data)
        while got < size:
            more = os.read(fd, size - got)
            if not more:
                break
            parts.append(more)
            got += len(more)
        data = b"".join(parts)
    return data


def _compare_open(src: int, dst: int, size: int, cancel: threading.Event | None) -> Comparison:
    """Compare the ``size`` bytes both files have (fstat said so) in blocks of at most BLOCK.

    No read past the end: a source that grows or shrinks meanwhile changes its size or time, which
    the caller's second fstat sees; a copy that ends early is a difference.
    """
    read = 0
    while read < size:
        if cancel is not None and cancel.is_set():
            return Comparison(CHANGED, "cancelled", read)
        block = min(BLOCK, size - read)
        try:
            a = _read(src, block)
        except OSError as error:
            return Comparison(UNREADABLE, _why(error, "source"), read)
        try:
            b = _read(dst, block)
        except OSError as error:
            return Comparison(UNREADABLE, _why(error, "copy"), read)
        if a != b:
            if len(a) != len(b):
                return Comparison(DIFFERS, "it ends before the source does", read + len(a))
            at = read + next(i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y)
            return Comparison(DIFFERS, f"content differs from byte {at:,}", read + len(a))
        if len(a) < block:  # the source ended early: it shrank while read (its fstat shows it)
            return Comparison(SAME, "", read + len(a))
        read += block
    return Comparison(SAME, "", read)


def _why(error: OSError, side: str) -> str:
    return f"the {side} cannot be read: {error.strerror or error}"
