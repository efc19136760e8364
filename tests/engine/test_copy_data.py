"""Every way of copying a file's bytes gives the same file, and a way the system lacks falls back."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from engine.files import copy_data, flush


def _copy(tmp_path: Path, data: bytes) -> bytes:
    source, target = tmp_path / "source", tmp_path / "target"
    source.write_bytes(data)
    src = os.open(source, os.O_RDONLY)
    dst = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    seen: list[int] = []
    try:
        done = copy_data.copy_data(src, dst, len(data), None, seen.append, None)
    finally:
        os.close(src)
        os.close(dst)
    assert done == len(data)
    if len(data) > copy_data.CHUNK:  # (a file of one block reports none: it is done at once)
        assert seen and seen[-1] == len(data)
    return target.read_bytes()


def _refuse(number: int) -> Any:
    def call(*args: object) -> int:
        raise OSError(number, os.strerror(number))

    return call


SIZES = [0, 1, 4096, 3 * 1024 * 1024 + 7]


@pytest.mark.parametrize("size", SIZES)
def test_the_fastest_way_copies_every_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    monkeypatch.setattr(copy_data, "CHUNK", 1024 * 1024)  # several blocks, with progress
    data = os.urandom(size)
    assert _copy(tmp_path, data) == data


@pytest.mark.parametrize("size", SIZES)
def test_without_copy_file_range_sendfile_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(os, "copy_file_range", _refuse(errno.EXDEV), raising=False)
    if hasattr(os, "sendfile"):
        real = os.sendfile
        monkeypatch.setattr(os, "sendfile", lambda *a: calls.append("sendfile") or real(*a))
    data = os.urandom(size)
    assert _copy(tmp_path, data) == data
    assert bool(calls) == (hasattr(os, "sendfile") and os.name == "posix")


@pytest.mark.parametrize("size", SIZES)
def test_without_any_in_kernel_copy_read_and_write_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    monkeypatch.setattr(os, "copy_file_range", _refuse(errno.ENOSYS), raising=False)
    monkeypatch.setattr(os, "sendfile", _refuse(errno.EINVAL), raising=False)
    monkeypatch.setattr(copy_data, "CHUNK", 1024 * 1024)
    data = os.urandom(size)
    assert _copy(tmp_path, data) == data


def test_a_way_that_copies_nothing_from_a_full_file_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "copy_file_range", lambda *a: 0, raising=False)  # as on some /proc files
    data = os.urandom(10_000)
    assert _copy(tmp_path, data) == data


def test_an_error_after_the_first_block_is_not_hidden_by_a_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not hasattr(os, "copy_file_range"):
        pytest.skip("no copy_file_range here")
    real = os.copy_file_range
    calls = iter(range(100))

    def fail_later(*args: Any) -> int:
        if next(calls) == 1:
            raise OSError(errno.EIO, "Input/output error")
        return real(*args)

    monkeypatch.setattr(os, "copy_file_range", fail_later)
    monkeypatch.setattr(copy_data, "CHUNK", 1024 * 1024)
    with pytest.raises(OSError) as failure:
        _copy(tmp_path, os.urandom(3 * 1024 * 1024))
    assert failure.value.errno == errno.EIO


def test_large_copies_start_their_writeback_and_small_ones_do_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[tuple[int, int]] = []
    monkeypatch.setattr(
        copy_data, "start_writeback", lambda fd, offset, length: started.append((offset, length))
    )
    monkeypatch.setattr(copy_data, "CHUNK", 1024 * 1024)
    _copy(tmp_path, os.urandom(1000))
    assert started == []
    data = os.urandom(3 * 1024 * 1024 + 5)
    assert _copy(tmp_path, data) == data
    if os.name == "posix":
        assert started[0] == (0, 1024 * 1024) and sum(length for _, length in started) == len(data)


def test_starting_writeback_never_fails(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    fd = os.open(path, os.O_RDWR)
    try:
        flush.start_writeback(fd, 0, 10)
    finally:
        os.close(fd)
    flush.start_writeback(fd, 0, 10)  # closed: EBADF, ignored (the flush reports real errors)
