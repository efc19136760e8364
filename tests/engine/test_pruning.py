"""Pruning old versions counts only what is really gone; what stays is a warning naming it.

Mirror versions folders (engine.jobs.mirror.versions.prune_versions) and Revit dated folders
(engine.jobs.revit.retention.prune_dated_folders). A file that cannot be removed is simulated by
an ``os.unlink`` that refuses one name (tests run as root, where permissions would not stop it).
"""

from __future__ import annotations

import errno
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.core.folders import Folders, app_folders
from engine.core.profiles import MirrorProfile, Profile
from engine.core.runner import run_profile
from engine.files.atomic import remove_tree
from engine.jobs.mirror.versions import prune_versions, versions_root
from engine.jobs.revit.retention import prune_dated_folders

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture
def stuck(monkeypatch: pytest.MonkeyPatch) -> None:
    """``os.unlink`` refuses every file named ``stuck.txt``, as a locked or read-only file would."""
    real_unlink = os.unlink

    def unlink(path: Any, *args: Any, **kwargs: Any) -> None:
        if os.path.basename(os.fsdecode(path)) == "stuck.txt":
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
        real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink)


def _version_set(replica: Path, when: datetime, *names: str) -> Path:
    folder = Path(versions_root(str(replica))) / when.strftime("%Y-%m-%dT%H%M%S.%fZ")
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(name)
    return folder


def test_remove_tree_says_what_stayed(tmp_path: Path, stuck: None) -> None:
    (tmp_path / "t" / "sub").mkdir(parents=True)
    (tmp_path / "t" / "a.txt").write_text("a")
    (tmp_path / "t" / "sub" / "stuck.txt").write_text("s")
    problem = remove_tree(tmp_path / "t")
    assert problem is not None and "stuck.txt" in problem and "Permission denied" in problem
    assert not (tmp_path / "t" / "a.txt").exists()  # it went on past the file it could not remove
    assert remove_tree(tmp_path / "missing") is None  # nothing there: gone
    (tmp_path / "u").mkdir()
    assert remove_tree(tmp_path / "u") is None and not (tmp_path / "u").exists()


def test_mirror_prune_counts_only_what_it_removed(tmp_path: Path, stuck: None) -> None:
    replica = tmp_path / "replica"
    gone = _version_set(replica, NOW - timedelta(days=40), "a.txt", "d/b.txt")
    stays = _version_set(replica, NOW - timedelta(days=41), "ok.txt", "deep/stuck.txt")
    recent = _version_set(replica, NOW - timedelta(days=2), "c.txt")
    current = _version_set(replica, NOW - timedelta(days=90), "stuck.txt")

    pruned = prune_versions(str(replica), timedelta(days=30), NOW, current.name)

    assert pruned.removed == [str(gone)]
    assert [folder for folder, _ in pruned.failed] == [str(stays)]
    assert "stuck.txt" in pruned.failed[0][1] and "Permission denied" in pruned.failed[0][1]
    assert not gone.exists() and stays.exists() and recent.exists() and current.exists()


@pytest.fixture
def folders(home: Path) -> Folders:
    return app_folders().create()


def test_a_mirror_run_warns_about_a_versions_folder_it_could_not_remove(
    tmp_path: Path, folders: Folders, stuck: None
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a")
    old = _version_set(tmp_path / "dst", datetime(2020, 1, 1, tzinfo=UTC), "stuck.txt")
    spec = MirrorProfile.model_validate(
        {"kind": "mirror", "mirror": {"source": str(tmp_path / "src"), "replica": str(tmp_path / "dst")}}
    )
    outcome = run_profile(Profile("t", spec), folders)

    assert outcome.exit_code == 0 and outcome.report is not None
    warnings = [w for w in outcome.report.warnings if "could not be removed" in w]
    assert len(warnings) == 1 and str(old) in warnings[0] and "Permission denied" in warnings[0]
    assert old.exists()


def test_revit_retention_counts_only_what_it_removed(tmp_path: Path, stuck: None) -> None:
    target = tmp_path / "target"
    for day, names in {
        "2024-09-01": ["A.rvt"],
        "2024-09-02": ["A.rvt", "stuck.txt"],
        "2024-11-12": ["A.rvt"],
    }.items():
        for name in names:
            (target / day).mkdir(parents=True, exist_ok=True)
            (target / day / name).write_bytes(b"x")

    pruned = prune_dated_folders(str(target), date(2024, 11, 12), 30)

    assert pruned.removed == [str(target / "2024-09-01")]
    assert [folder for folder, _ in pruned.failed] == [str(target / "2024-09-02")]
    assert "stuck.txt" in pruned.failed[0][1]
    assert (target / "2024-09-02").exists() and (target / "2024-11-12" / "A.rvt").exists()
