"""A copy is on the disk before it gets its real name: fsync, then mtime, then rename, then the folder.

A power cut cannot be simulated here; instead every call to ``os.fsync``, ``os.utime`` and
``os.replace`` is recorded (by inode, so temporary and real names are the same file) and the order
is checked for every file a run installs.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.core.plan import Action, ActionKind
from engine.files import atomic, flush
from engine.files.atomic import InstallBatch, copy_file_atomic, is_temp_name
from engine.jobs.mirror.apply import CHUNK_BYTES, _chunks_by_folder
from tests.engine.flush_recorder import Recorder
from tests.engine.mirror.conftest import MirrorRun
from tests.engine.mirror.trees import make_tree, snapshot

T0 = 1_700_000_000
posix_only = pytest.mark.skipif(os.name != "posix", reason="folders are fsynced on POSIX only")


def flush_by(way: str, recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make the flush go one ``way`` ("fsync" per file, or one "syncfs" per batch); the syncfs
    counts, for the recorder, as an fsync of every file it covers. Returns the syncfs batch sizes."""
    batches: list[int] = []
    monkeypatch.setattr(flush, "syncfs_covers", lambda device: way == "syncfs")
    real_syncfs = flush._syncfs

    def syncfs(fds: list[int]) -> OSError | None:
        error = real_syncfs(fds) if sys.platform.startswith("linux") else None
        for fd in fds:
            recorder.add("fsync", os.fstat(fd).st_ino)
        batches.append(len(fds))
        return error

    monkeypatch.setattr(flush, "_syncfs", syncfs)
    return batches


@pytest.mark.parametrize("way", ["fsync", "syncfs"])
def test_every_mirrored_file_is_flushed_before_its_rename(
    tmp_path: Path, mirror: MirrorRun, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    files = {f"d{i % 7}/f{i:03}.txt": f"content {i}" * (i % 5) for i in range(600)}
    files["big.bin"] = "x" * (2 * 1024 * 1024)  # a file with progress events
    make_tree(tmp_path / "src", files, mtime=T0)
    recorder = Recorder(str(tmp_path / "dst")).install(monkeypatch)
    batches = flush_by(way, recorder, monkeypatch)
    outcome = mirror()
    assert outcome.exit_code == 0
    installed = recorder.check_installed_safely()
    assert len(installed) == len(files)
    assert snapshot(tmp_path / "dst") == snapshot(tmp_path / "src")
    assert (tmp_path / "dst" / "d3" / "f003.txt").stat().st_mtime_ns == T0 * 10**9
    if way == "syncfs":
        assert sum(batches) >= len(files) - 1 and len(batches) < len(files) / 8  # far fewer flushes
    else:
        assert batches == []


def test_a_replaced_file_is_flushed_before_the_old_one_is_set_aside(
    tmp_path: Path, mirror: MirrorRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path / "src", {"a.txt": "one", "b.txt": "two"}, mtime=T0)
    mirror()
    make_tree(tmp_path / "src", {"a.txt": "one, changed"}, mtime=T0 + 60)
    recorder = Recorder(str(tmp_path / "dst")).install(monkeypatch)
    set_aside_at: list[int] = []
    import engine.jobs.mirror.apply as apply

    real_move = apply.move_to_versions

    def move(*args: Any) -> str:
        set_aside_at.append(len(recorder.events))
        return real_move(*args)

    monkeypatch.setattr(apply, "move_to_versions", move)
    assert mirror().exit_code == 0
    assert recorder.check_installed_safely() == [str(tmp_path / "dst" / "a.txt")]
    fsynced_first = [op for op, _, _ in recorder.events[: set_aside_at[0]]]
    assert "fsync" in fsynced_first  # the new copy was safe before the old one moved away


def test_single_copy_is_flushed_before_its_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "s.txt"
    source.write_text("data")
    os.utime(source, (T0, T0))
    (tmp_path / "out").mkdir()
    recorder = Recorder(str(tmp_path / "out")).install(monkeypatch)
    info = source.stat()
    copy_file_atomic(
        str(source),
        str(tmp_path / "out" / "s.txt"),
        expect_size=info.st_size,
        expect_mtime_ns=info.st_mtime_ns,
    )
    assert recorder.check_installed_safely() == [str(tmp_path / "out" / "s.txt")]
    assert (tmp_path / "out" / "s.txt").stat().st_mtime_ns == T0 * 10**9


def test_a_file_whose_flush_fails_is_not_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    sources = []
    for name, size in (("a", 10), ("b", 12), ("c", 14)):  # b's temporary file is known by its size
        path = tmp_path / name
        path.write_text(name * size)
        sources.append(path)
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and info.st_size == 12:
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(flush, "syncfs_covers", lambda device: False)  # one fsync per file
    batch = InstallBatch()
    for key, path in enumerate(sources):
        info = path.stat()
        copy_file_atomic(
            str(path),
            str(out / path.name),
            expect_size=info.st_size,
            expect_mtime_ns=info.st_mtime_ns,
            batch=batch,
            key=key,
        )
    assert len(batch) == 3 and not (out / "a").exists()  # nothing under a real name before install
    outcome = batch.install()
    assert [(key, None if error is None else error.errno) for key, error in outcome] == [
        (0, None),
        (1, errno.EIO),
        (2, None),
    ]
    assert sorted(p.name for p in out.iterdir()) == ["a", "c"]  # no temporary file left either
    assert len(batch) == 0


def test_a_failed_syncfs_installs_none_of_its_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flush, "syncfs_covers", lambda device: True)
    monkeypatch.setattr(flush, "_libc_syncfs", lambda fd: -1)
    monkeypatch.setattr(flush.ctypes, "get_errno", lambda: errno.EIO)
    (tmp_path / "out").mkdir()
    batch = InstallBatch()
    for key, name in enumerate(("a", "b")):
        source = tmp_path / name
        source.write_text(name)
        info = source.stat()
        copy_file_atomic(
            str(source),
            str(tmp_path / "out" / name),
            expect_size=info.st_size,
            expect_mtime_ns=info.st_mtime_ns,
            batch=batch,
            key=key,
        )
    outcome = batch.install()
    assert [(key, error.errno if error else None) for key, error in outcome] == [
        (0, errno.EIO),
        (1, errno.EIO),
    ]
    assert list((tmp_path / "out").iterdir()) == []


def test_syncfs_is_used_only_where_it_is_as_good_as_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flush, "_covers", {})
    monkeypatch.setattr(flush, "_LINUX", True)
    monkeypatch.setattr(flush.platform, "release", lambda: "6.1.0-18-amd64")
    types = {1: "ext4", 2: "xfs", 3: "btrfs", 4: "cifs", 5: "fuseblk", 6: "vfat", 7: None}
    monkeypatch.setattr(flush, "_fstype", lambda device: types[device])
    assert [flush.syncfs_covers(d) for d in types] == [True, True, True, False, False, False, False]
    monkeypatch.setattr(flush, "_covers", {})
    monkeypatch.setattr(flush.platform, "release", lambda: "5.4.0-150-generic")  # no errors from syncfs
    assert not flush.syncfs_covers(1)
    monkeypatch.setattr(flush, "_covers", {})
    monkeypatch.setattr(flush, "_LINUX", False)
    monkeypatch.setattr(flush.platform, "release", lambda: "6.1.0")
    assert not flush.syncfs_covers(1)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/mountinfo")
def test_the_filesystem_of_a_folder_is_found(tmp_path: Path) -> None:
    assert flush._fstype(os.stat(tmp_path).st_dev) not in (None, "")


def test_discarding_a_batch_leaves_no_temporary_file(tmp_path: Path) -> None:
    source = tmp_path / "s"
    source.write_text("x")
    (tmp_path / "out").mkdir()
    batch = InstallBatch()
    info = source.stat()
    copy_file_atomic(
        str(source),
        str(tmp_path / "out" / "s"),
        expect_size=info.st_size,
        expect_mtime_ns=info.st_mtime_ns,
        batch=batch,
    )
    assert any(is_temp_name(p.name) for p in (tmp_path / "out").iterdir())
    batch.discard()
    assert list((tmp_path / "out").iterdir()) == []


def test_a_batch_is_full_at_its_file_or_byte_limit() -> None:
    batch = InstallBatch(max_files=2, max_bytes=100)
    batch.add(atomic._Staged("t1", "x", None, (0, 0), 10))
    assert not batch.full
    batch.add(atomic._Staged("t2", "y", None, (0, 0), 10))
    assert batch.full
    big = InstallBatch(max_files=10, max_bytes=100)
    big.add(atomic._Staged("t3", "z", None, (0, 0), 100))
    assert big.full


@posix_only
def test_new_folders_are_flushed_into_their_parents(
    tmp_path: Path, mirror: MirrorRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path / "src", {"new/deeper/f.txt": "x"}, mtime=T0)
    recorder = Recorder(str(tmp_path / "dst")).install(monkeypatch)
    assert mirror().exit_code == 0
    synced = {inode for op, inode, _ in recorder.events if op == "fsync"}
    assert os.stat(tmp_path / "dst").st_ino in synced  # holds the new folder 'new'
    assert os.stat(tmp_path / "dst" / "new").st_ino in synced  # holds 'deeper'


@posix_only
def test_a_read_only_export_can_still_be_flushed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "export.rvt"
    path.write_bytes(b"x")
    real_open = os.open
    flushed: list[int] = []

    def refusing_open(name: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_RDWR:
            raise PermissionError(13, "Permission denied")  # as for a read-only file (not as root)
        return real_open(name, flags, *args, **kwargs)

    real_fsync = os.fsync
    monkeypatch.setattr(os, "open", refusing_open)
    monkeypatch.setattr(os, "fsync", lambda fd: (flushed.append(fd), real_fsync(fd))[1])
    flush.flush_file(str(path))
    assert len(flushed) == 1


@posix_only
def test_a_mirrored_link_has_its_folder_flushed(
    tmp_path: Path, mirror: MirrorRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "src" / "d").mkdir(parents=True)
    (tmp_path / "src" / "d" / "link").symlink_to("elsewhere")
    (tmp_path / "dst" / "d").mkdir(parents=True)
    recorder = Recorder(str(tmp_path / "dst")).install(monkeypatch)
    assert mirror().exit_code == 0
    assert os.readlink(tmp_path / "dst" / "d" / "link") == "elsewhere"
    synced = {inode for op, inode, _ in recorder.events if op == "fsync"}
    assert os.stat(tmp_path / "dst" / "d").st_ino in synced


def test_big_files_are_copied_side_by_side_and_a_folders_small_files_stay_together() -> None:
    small = [Action(ActionKind.COPY, f"docs/note{i}.txt", 4096) for i in range(100)]
    big = [Action(ActionKind.COPY, f"video/take{i}.mov", CHUNK_BYTES) for i in range(4)]
    chunks = _chunks_by_folder(small + big, 64)
    assert [len(c) for c in chunks] == [100, 1, 1, 1, 1]  # a folder's files together...
    assert [a.path for c in chunks for a in c] == [a.path for a in small + big]
    crowded = [Action(ActionKind.COPY, f"flat/n{i}.txt", 200) for i in range(2500)]
    assert [len(c) for c in _chunks_by_folder(crowded, 64)] == [1024, 1024, 452]  # ...up to 16 chunks' worth
