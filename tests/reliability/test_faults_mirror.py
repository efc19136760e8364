"""Faults during a mirror run: each one gets a clear report, and nothing is lost or torn.

Disk full, permission denied (source and replica), files vanishing, growing or being rewritten while
they are copied, and a source share that disappears in the middle of a run. After each fault the next
run, with the fault gone, completes.
"""

from __future__ import annotations

import errno
import itertools
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.core.events import Event, ItemFinished, ItemProgress, RunStarted
from engine.core.folders import Folders
from engine.files import atomic
from tests.engine.rclone.conftest import frozen_folder
from tests.reliability import scale
from tests.reliability.rigs import MirrorRig
from tests.reliability.world import sha

pytestmark = [pytest.mark.reliability, pytest.mark.skipif(sys.platform == "win32", reason="POSIX faults")]

DISK_FULL = "no space left on the replica's disk"


def _first_full_copy(rig: MirrorRig) -> None:
    assert rig.run().exit_code == 0 and rig.complete()


def _disk_fills_up(monkeypatch: pytest.MonkeyPatch, every: int) -> list[int]:
    """Every ``every``-th copy fails half-way with ENOSPC; returns the list the failures go into."""
    real_copy, calls, injected = atomic._copy_data, itertools.count(1), []

    def fill_up(src_fd: int, dst_fd: int, size: int, *args: object) -> int:
        if next(calls) % every:
            return real_copy(src_fd, dst_fd, size, *args)  # type: ignore[arg-type]
        os.write(dst_fd, b"\0" * (size // 2 + 1))  # what a disk filling up leaves in the temp file
        injected.append(1)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "_copy_data", fill_up)
    return injected


@pytest.mark.parametrize("every", [2, 3, 5])
def test_disk_full_fails_those_files_keeps_the_old_ones_and_skips_deletes(
    tmp_path: Path, folders: Folders, monkeypatch: pytest.MonkeyPatch, every: int
) -> None:
    rig = MirrorRig.make(folders, tmp_path, seed=every)
    _first_full_copy(rig)
    for _ in range(scale.pick(1, 6)):
        rig.tree.mutate(change=12, add=4, delete=3, big=1)
        doomed = [rel for rel in rig.tree.replaced if not (rig.tree.root / rel).exists()]
        injected = _disk_fills_up(monkeypatch, every)
        outcome = rig.run()
        monkeypatch.undo()
        report = rig.report(outcome)
        scale.count("faults.disk_full", len(injected))
        assert injected and outcome.exit_code == 1
        assert {f.message for f in report.failures} == {DISK_FULL}
        assert rig.problems() == []
        assert all((rig.replica / rel).exists() for rel in doomed), "deletes must wait for a good run"
        assert any("deletion(s) skipped" in w for w in report.warnings)
        assert rig.run().exit_code == 0 and rig.complete() and rig.problems() == []


def _tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("mount"):
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    return done.returncode == 0


def test_a_really_full_disk_fails_cleanly_and_the_run_after_more_space_completes(
    tmp_path: Path, folders: Folders
) -> None:
    disk = tmp_path / "small-disk"
    if not _tmpfs(disk, "3m"):
        pytest.skip("mounting a small tmpfs needs root")
    try:
        rig = MirrorRig.make(folders, tmp_path, seed=4)  # 2 x 2 MB and 60 small files: more than 3 MB
        rig.replica = disk / "replica"
        outcome = rig.run()
        report = rig.report(outcome)
        scale.count("faults.real_disk_full", len(report.failures))
        assert outcome.exit_code == 1 and report.failures
        assert {f.message for f in report.failures} == {DISK_FULL}
        assert rig.problems() == []
        subprocess.run(["mount", "-o", "remount,size=16m", str(disk)], check=True)
        assert rig.run().exit_code == 0 and rig.complete() and rig.problems() == []
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _deny_reading(monkeypatch: pytest.MonkeyPatch, paths: set[str]) -> None:
    """Reading these files fails with EACCES (as for a file another user owns; root bypasses chmod)."""
    real_open = os.open

    def guarded(path: str, flags: int, *args: object) -> int:
        if os.fspath(path) in paths:
            scale.count("faults.permission_denied_source")
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic.os, "open", guarded)


def test_unreadable_source_files_fail_alone_and_are_copied_once_readable(
    tmp_path: Path, folders: Folders, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = MirrorRig.make(folders, tmp_path, seed=5)
    _first_full_copy(rig)
    for _ in range(scale.pick(1, 5)):
        rig.tree.mutate(change=10, add=4, delete=2)
        locked = {str(rig.tree.root / rel) for rel in rig.tree.added[:2] + rig.tree.replaced[:2]}
        _deny_reading(monkeypatch, locked)
        outcome = rig.run()
        monkeypatch.undo()
        report = rig.report(outcome)
        assert outcome.exit_code == 1
        assert {str(rig.tree.root / f.path) for f in report.failures} == locked
        assert {f.message for f in report.failures} == {"permission denied"}
        assert rig.problems() == []
        assert rig.run().exit_code == 0 and rig.complete()


def test_a_write_protected_replica_folder_fails_its_files_and_loses_nothing(
    tmp_path: Path, folders: Folders
) -> None:
    rig = MirrorRig.make(folders, tmp_path, seed=6)
    _first_full_copy(rig)
    rig.tree.mutate(change=20, add=8, delete=0)
    protected = rig.replica / "d3"
    expected = {rel for rel in rig.tree.added + rig.tree.replaced if rel.startswith("d3/")}
    with frozen_folder(protected):
        outcome = rig.run()
    report = rig.report(outcome)
    scale.count("faults.permission_denied_replica", len(report.failures))
    assert outcome.exit_code == 1 and expected
    assert {f.path for f in report.failures} == expected
    assert {f.message for f in report.failures} == {"permission denied"}
    assert rig.problems() == []
    assert rig.run().exit_code == 0 and rig.complete()


def test_files_vanishing_after_the_scan_are_skipped_not_failed(tmp_path: Path, folders: Folders) -> None:
    rig = MirrorRig.make(folders, tmp_path, seed=7)
    _first_full_copy(rig)
    rig.tree.mutate(change=10, add=6, delete=0)
    gone = set(rig.tree.added[:3] + rig.tree.replaced[:3])

    def vanish(event: Event) -> None:
        if isinstance(event, RunStarted):  # planned, not yet copied
            for rel in gone:
                (rig.tree.root / rel).unlink()
            scale.count("faults.vanished_after_scan", len(gone))

    report = rig.report(rig.run(reporter=vanish))
    assert report.exit_code == 0
    skipped = {i.path: i.message for i in report.items if i.status == "skipped"}
    assert skipped == dict.fromkeys(gone, "no longer in the source")
    assert rig.problems() == []
    assert rig.run().exit_code == 0 and rig.complete() and rig.problems() == []


def _meddle(rig: MirrorRig, change: str, hit: list[str]) -> Callable[[Event], None]:
    """A reporter that changes the first big file whose copy reports progress, mid-copy."""

    def meddle(event: Event) -> None:
        if not isinstance(event, ItemProgress) or hit:
            return
        hit.append(event.path)
        path = rig.tree.root / event.path
        if change == "grows":
            with open(path, "ab") as handle:
                handle.write(b"appended while copied")
            rig.tree.versions[event.path].add(sha(path.read_bytes()))
        elif change == "is rewritten":
            rig.tree.write(event.path, rig.tree.rng.randbytes(path.stat().st_size))
        else:
            path.unlink()
        scale.count(f"faults.file_{change.replace(' ', '_')}_while_copied")

    return meddle


@pytest.mark.parametrize("change", ["grows", "is rewritten", "vanishes"])
def test_a_big_file_changing_while_it_is_copied_is_never_installed_half_done(
    tmp_path: Path, folders: Folders, change: str
) -> None:
    rig = MirrorRig.make(folders, tmp_path, seed=8, files=10, big_mb=20)  # copied in 8 MB steps
    _first_full_copy(rig)
    for _ in range(scale.pick(1, 4)):
        rig.tree.mutate(change=3, add=1, delete=0, big=2)
        hit: list[str] = []
        report = rig.report(rig.run(reporter=_meddle(rig, change, hit)))
        assert hit, "no big file was copied"
        item = next(i for i in report.items if i.path == hit[0])
        if change == "vanishes":  # the open file is still read whole on POSIX: a complete old version
            assert item.status in ("done", "skipped"), item
        else:
            assert item.status == "failed" and "changed while being copied" in item.message, item
        assert rig.problems() == []
        assert rig.run().exit_code == 0 and rig.complete() and rig.problems() == []
        if change == "vanishes":  # bring it back for the next round
            rig.tree.write(hit[0], rig.tree.rng.randbytes(20 * 1024 * 1024))
            _first_full_copy(rig)


def _unplug_after(
    rig: MirrorRig, after: int, unmounted: Path, finished: list[str]
) -> Callable[[Event], None]:
    """A reporter that moves the source away (the share is gone) after ``after`` finished items."""

    def unplug(event: Event) -> None:
        if isinstance(event, ItemFinished):
            finished.append(event.path)
            if len(finished) == after:
                os.rename(rig.tree.root, unmounted)
                scale.count("faults.source_share_disappeared")

    return unplug


def test_a_source_share_disappearing_mid_run_loses_nothing_and_is_reported(
    tmp_path: Path, folders: Folders
) -> None:
    rig = MirrorRig.make(folders, tmp_path, seed=9, files=scale.pick(200, 600))
    unmounted = tmp_path / "unmounted"
    for after in scale.pick([5], [1, 5, 20, 50]):
        _first_full_copy(rig)
        rig.tree.mutate(change=60, add=30, delete=4)
        finished: list[str] = []
        outcome = rig.run(reporter=_unplug_after(rig, after, unmounted, finished))
        report = rig.report(outcome)
        assert len(finished) >= after
        assert outcome.exit_code == 1, report.as_json()
        assert any("disappeared" in f.message for f in report.failures), report.failures
        assert rig.problems() == []
        refused = rig.run()
        assert refused.exit_code == 3 and "does not exist" in (rig.report(refused).reason or "")
        assert rig.problems() == []
        os.rename(unmounted, rig.tree.root)
        assert rig.run().exit_code == 0 and rig.complete() and rig.problems() == []
