"""Faults during an rclone run: the remote going away mid-upload, the source share disappearing,
a write-protected or full remote. Each gets a clear report; the index only ever holds what rclone
confirmed; nothing on the remote is torn or lost; the next run, with the fault gone, completes."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine.core.events import Event, ItemFinished
from engine.core.folders import Folders
from engine.jobs.rclone import tally
from tests.engine.rclone.conftest import frozen_folder
from tests.reliability import scale
from tests.reliability.rigs import Loopback, RcloneRig
from tests.reliability.world import SourceTree

pytestmark = [pytest.mark.reliability, pytest.mark.skipif(sys.platform == "win32", reason="POSIX faults")]


def _tree(tmp: Path, seed: int, files: int) -> SourceTree:
    tree = SourceTree(tmp / "src", random.Random(seed))
    tree.populate(files=files, big=2, big_size=2 * 1024 * 1024)
    return tree


def _after_uploads(n: int, act: Callable[[], None], done: list[str]) -> Callable[[Event], None]:
    """A reporter that calls ``act`` once ``n`` uploads were confirmed."""

    def watch(event: Event) -> None:
        if isinstance(event, ItemFinished) and event.status == "done":
            done.append(event.path)
            if len(done) == n:
                act()

    return watch


@pytest.fixture
def loopback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rclone_env: None) -> Iterator[Loopback]:
    # rclone may retry a vanished remote in silence: Rearguard stops it after this long without
    # progress (120 s in use; 3 s here, the figure is what is tested, not its size).
    monkeypatch.setattr(tally, "STALL_SECONDS", 3.0)
    server = Loopback(tmp_path / "served", monkeypatch)
    server.start()
    yield server
    server.stop()


def test_the_remote_going_away_mid_upload_is_reported_and_retried(
    tmp_path: Path, folders: Folders, loopback: Loopback
) -> None:
    tree = _tree(tmp_path, 21, scale.pick(80, 200))
    rig = RcloneRig(folders, tree, "SF:backup", loopback.root / "backup")
    for after in scale.pick([10], [1, 10, 40, 100]):
        done: list[str] = []
        outcome = rig.run(reporter=_after_uploads(after, loopback.stop, done))
        scale.count("faults.rclone_remote_went_away")
        report = outcome.report
        assert report is not None and outcome.exit_code in (1, 5), outcome
        failed = {f.path: f.message for f in report.failures}
        assert failed and all(failed.values()), "every failed upload says why"
        indexed, retries = rig.index()
        now = {rel: (st.st_size, st.st_mtime_ns) for rel in failed if (st := (tree.root / rel).stat())}
        assert set(done) <= set(indexed), "a confirmed upload was not recorded"
        assert not [rel for rel in failed if indexed.get(rel) == now[rel]], "a failed upload was recorded"
        assert set(failed) <= set(retries)
        assert rig.problems() == []
        loopback.start()
        assert rig.run().exit_code == 0 and rig.complete() and rig.problems() == []
        tree.mutate(change=scale.pick(40, 120), add=10, delete=3, big=2)


def test_a_source_share_disappearing_mid_upload_deletes_nothing_and_is_retried(
    tmp_path: Path, folders: Folders, rclone_env: None
) -> None:
    tree = _tree(tmp_path, 22, scale.pick(80, 200))
    rig = RcloneRig(folders, tree, str(tmp_path / "remote"), tmp_path / "remote")
    assert rig.run().exit_code == 0 and rig.complete()
    unmounted = tmp_path / "unmounted"
    for after in scale.pick([5], [1, 5, 20]):
        tree.mutate(change=scale.pick(60, 150), add=10, delete=3)
        deleted = [rel for rel in tree.replaced if not (tree.root / rel).exists()]
        done: list[str] = []
        outcome = rig.run(reporter=_after_uploads(after, lambda: os.rename(tree.root, unmounted), done))
        scale.count("faults.rclone_source_share_disappeared")
        report = outcome.report
        assert report is not None and outcome.exit_code == 1, outcome
        assert report.failures and all(f.message for f in report.failures)
        assert all((rig.remote_root / rel).exists() for rel in deleted), "no deletion after failures"
        assert rig.problems() == []
        refused = rig.run()
        assert refused.exit_code == 3 and "does not exist" in (refused.report.reason or "")  # type: ignore[union-attr]
        os.rename(unmounted, tree.root)
        assert rig.run().exit_code == 0 and rig.complete() and rig.problems() == []


def test_a_write_protected_remote_folder_fails_its_uploads_and_loses_nothing(
    tmp_path: Path, folders: Folders, rclone_env: None
) -> None:
    tree = _tree(tmp_path, 23, 60)
    rig = RcloneRig(folders, tree, str(tmp_path / "remote"), tmp_path / "remote")
    assert rig.run().exit_code == 0
    tree.mutate(change=20, add=8, delete=2)
    with frozen_folder(rig.remote_root / "d2"):
        outcome = rig.run()
    report = outcome.report
    assert report is not None and outcome.exit_code == 1
    scale.count("faults.rclone_permission_denied", len(report.failures))
    assert report.failures and all(f.path.startswith("d2/") and f.message for f in report.failures)
    assert rig.problems() == []
    assert rig.run().exit_code == 0 and rig.complete()


def test_a_full_remote_disk_fails_cleanly_and_the_next_run_completes(
    tmp_path: Path, folders: Folders, rclone_env: None
) -> None:
    disk = tmp_path / "small-disk"
    disk.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)], capture_output=True
        ).returncode
    ):
        pytest.skip("mounting a small tmpfs needs root")
    try:
        tree = _tree(tmp_path, 24, 40)
        rig = RcloneRig(folders, tree, str(disk / "remote"), disk / "remote")
        outcome = rig.run()
        report = outcome.report
        assert report is not None and outcome.exit_code == 1, outcome
        scale.count("faults.rclone_disk_full", len(report.failures))
        assert report.failures and all("space" in f.message for f in report.failures), report.failures
        assert rig.problems() == [] and not list(disk.rglob("*.partial"))
        subprocess.run(["mount", "-o", "remount,size=16m", str(disk)], check=True)
        assert rig.run().exit_code == 0 and rig.complete()
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
