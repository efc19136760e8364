"""Runs that look wrong are refused with a reason, and the replica is left exactly as it was."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from engine.files import atomic
from tests.engine.mirror.conftest import MirrorRun
from tests.engine.mirror.trees import make_tree, snapshot


def _replica(tmp_path: Path, n: int = 10) -> dict[str, object]:
    make_tree(tmp_path / "dst", {f"file{i}.txt": f"precious {i}" for i in range(n)})
    return snapshot(tmp_path / "dst")


def test_missing_source_is_refused(tmp_path: Path, mirror: MirrorRun) -> None:
    before = _replica(tmp_path)
    outcome = mirror()
    assert outcome.exit_code == 3
    assert "does not exist" in (outcome.report.reason or "")  # type: ignore[union-attr]
    assert snapshot(tmp_path / "dst") == before


def test_empty_source_over_full_replica_is_refused(tmp_path: Path, mirror: MirrorRun) -> None:
    before = _replica(tmp_path)
    (tmp_path / "src").mkdir()
    outcome = mirror()
    assert outcome.exit_code == 3
    assert "source is empty" in (outcome.report.reason or "")  # type: ignore[union-attr]
    assert snapshot(tmp_path / "dst") == before


def test_mass_delete_is_refused(tmp_path: Path, mirror: MirrorRun) -> None:
    before = _replica(tmp_path, 10)
    make_tree(
        tmp_path / "src",
        {
            "file0.txt": "precious 0",
            "file1.txt": "precious 1",
            "file2.txt": "precious 2",
            "file3.txt": "precious 3",
        },
    )
    outcome = mirror(max_delete_percent=50)
    assert outcome.exit_code == 3
    assert "6 of 10" in (outcome.report.reason or "")  # type: ignore[union-attr]
    assert snapshot(tmp_path / "dst") == before
    assert mirror(max_delete_percent=60, dry_run=True).exit_code == 0


@pytest.mark.parametrize(("src", "dst"), [("src", "src/inner"), ("src/inner", "src"), ("src", "src")])
def test_overlapping_folders_are_refused(tmp_path: Path, folders: object, src: str, dst: str) -> None:
    from engine.cli import main

    make_tree(tmp_path / "src", {"inner/a": "a"})
    before = snapshot(tmp_path / "src")
    assert main(["mirror", str(tmp_path / src), str(tmp_path / dst)]) == 3
    assert snapshot(tmp_path / "src") == before


def test_replica_equal_to_log_folder_is_refused(tmp_path: Path, folders: object) -> None:
    from engine.cli import main

    make_tree(tmp_path / "src", {"a": "a"})
    logs = tmp_path / "logs"
    assert main(["mirror", str(tmp_path / "src"), str(logs), "--log-dir", str(logs)]) == 3


def test_replica_on_a_disconnected_disk_is_refused(tmp_path: Path, mirror: MirrorRun) -> None:
    make_tree(tmp_path / "src", {"a": "a"})
    outcome = mirror(replica=str(tmp_path / "not-mounted" / "backup"))
    assert outcome.exit_code == 3
    assert not (tmp_path / "not-mounted").exists()


def test_unreadable_file_fails_only_that_item_and_skips_deletes(
    tmp_path: Path, mirror: MirrorRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path / "src", {"ok1": "1", "locked.xlsx": "in use", "ok2": "2"})
    make_tree(tmp_path / "dst", {"extra": "e", "x1": "1", "x2": "2", "x3": "3", "x4": "4"})
    real_open = os.open

    def fake_open(path: str, flags: int, *args: object) -> int:
        if str(path).endswith("locked.xlsx"):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic.os, "open", fake_open)
    outcome = mirror(max_delete_percent=100)
    report = outcome.report
    assert outcome.exit_code == 1 and report is not None
    assert [(f.path, f.message) for f in report.failures] == [("locked.xlsx", "permission denied")]
    assert (tmp_path / "dst" / "ok1").exists() and (tmp_path / "dst" / "ok2").exists()
    assert (tmp_path / "dst" / "extra").exists(), "deletes must be skipped after a failure"


def test_file_changing_while_copied_is_not_installed(
    tmp_path: Path, mirror: MirrorRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path / "src", {"growing.log": "start"})
    real_copy = atomic._copy_data

    def copy_then_grow(src_fd: int, dst_fd: int, *args: object) -> int:
        done = real_copy(src_fd, dst_fd, *args)  # type: ignore[arg-type]
        with open(tmp_path / "src" / "growing.log", "a") as handle:
            handle.write(" and more")
        return done

    monkeypatch.setattr(atomic, "_copy_data", copy_then_grow)
    outcome = mirror()
    assert outcome.exit_code == 1
    assert "changed while being copied" in outcome.report.failures[0].message  # type: ignore[union-attr]
    assert not (tmp_path / "dst" / "growing.log").exists()
    assert os.listdir(tmp_path / "dst") == []


def test_disk_full_fails_the_item_and_leaves_no_temp_file(
    tmp_path: Path, mirror: MirrorRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path / "src", {"big.bin": "x" * 1000})

    def full(*args: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "_copy_data", full)
    outcome = mirror()
    assert outcome.exit_code == 1
    assert outcome.report.failures[0].message == "no space left on the replica's disk"  # type: ignore[union-attr]
    assert os.listdir(tmp_path / "dst") == []
