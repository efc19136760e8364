"""Reading two files back and comparing their content: what a verify trusts instead of size and time.

Both files are read in large blocks and compared byte for byte: cheaper than hashing both sides
(no hash to compute) and exact. A source that changes while it is read is not compared (its size or
time differs afterwards): the next verify reads it again.
"""

from __future__ import annotations

import os
import threading
from contextlib import ExitStack
from dataclasses import dataclass
from typing import BinaryIO

BLOCK = 1 << 20  # 1 MiB: few system calls, little memory

SAME = "same"
DIFFERS = "differs"
MISSING = "missing"
UNREADABLE = "unreadable"
CHANGED = "changed"  # the source changed while it was read: not comparable now


@dataclass(frozen=True, slots=True)
class Comparison:
    outcome: str  # SAME | DIFFERS | MISSING | UNREADABLE | CHANGED
    detail: str = ""
    bytes: int = 0  # bytes read from the source


def _signature(st: os.stat_result) -> tuple[int, int]:
    return st.st_size, st.st_mtime_ns


def compare_files(source: str, copy: str, cancel: threading.Event | None = None) -> Comparison:
    """Compare ``copy`` (on the target) with ``source`` byte for byte."""
    with ExitStack() as stack:
        try:
            src = stack.enter_context(open(source, "rb"))
        except FileNotFoundError:
            return Comparison(CHANGED, "the source is gone")
        except OSError as error:
            return Comparison(UNREADABLE, _why(error, "source"))
        try:
            dst = stack.enter_context(open(copy, "rb"))
        except FileNotFoundError:
            return Comparison(MISSING, "not on the target")
        except OSError as error:
            return Comparison(UNREADABLE, _why(error, "copy"))
        before = _signature(os.fstat(src.fileno()))
        result = _compare_open(src, dst, cancel)
        if result.outcome != UNREADABLE and _signature(os.fstat(src.fileno())) != before:
            return Comparison(CHANGED, "the source changed while it was read", result.bytes)
        if result.outcome == DIFFERS and not result.detail:
            sizes = f"{os.fstat(dst.fileno()).st_size:,} bytes on the target, {before[0]:,} in the source"
            return Comparison(DIFFERS, sizes, result.bytes)
        return result


def _compare_open(src: BinaryIO, dst: BinaryIO, cancel: threading.Event | None) -> Comparison:
    read = 0
    while True:
        if cancel is not None and cancel.is_set():
            return Comparison(CHANGED, "cancelled", read)
        try:
            a = src.read(BLOCK)
        except OSError as error:
            return Comparison(UNREADABLE, _why(error, "source"), read)
        try:
            b = dst.read(BLOCK)
        except OSError as error:
            return Comparison(UNREADABLE, _why(error, "copy"), read)
        if a != b:
            if len(a) != len(b):
                return Comparison(DIFFERS, "", read + len(a))
            at = read + next(i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y)
            return Comparison(DIFFERS, f"content differs from byte {at:,}", read + len(a))
        if not a:
            return Comparison(SAME, "", read)
        read += len(a)


def _why(error: OSError, side: str) -> str:
    return f"the {side} cannot be read: {error.strerror or error}"
