"""What a user relies on when mirroring a folder: everything arrives, nothing is lost."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.jobs.mirror.versions import versions_root
from tests.engine.mirror.conftest import MirrorRun
from tests.engine.mirror.trees import make_tree, snapshot

T0 = 1_700_000_000


def test_first_run_copies_files_hidden_files_and_empty_folders(tmp_path: Path, mirror: MirrorRun) -> None:
    make_tree(
        tmp_path / "src",
        {
            "a.txt": "alpha",
            "sub/b.txt": "beta",
            ".hidden/c": "gamma",
            "empty/": "",
            "Zürich Süd/ü.txt": "umlaut",
        },
        mtime=T0,
    )
    outcome = mirror()
    assert outcome.exit_code == 0
    assert snapshot(tmp_path / "dst") == snapshot(tmp_path / "src")
    assert (tmp_path / "dst" / "a.txt").stat().st_mtime_ns == T0 * 10**9


def test_second_run_finds_nothing_to_do(tmp_path: Path, mirror: MirrorRun) -> None:
    make_tree(tmp_path / "src", {"a.txt": "alpha", "d/e/f.txt": "deep"})
    mirror()
    plan = mirror(dry_run=True).plan
    assert plan is not None and plan.actions == ()


def test_changed_file_is_replaced_and_old_content_kept_as_version(tmp_path: Path, mirror: MirrorRun) -> None:
    make_tree(tmp_path / "src", {"doc.txt": "version one"}, mtime=T0)
    mirror()
    make_tree(tmp_path / "src", {"doc.txt": "version two!"}, mtime=T0 + 60)
    outcome = mirror()
    assert outcome.exit_code == 0
    assert (tmp_path / "dst" / "doc.txt").read_text() == "version two!"
    kept = list(Path(versions_root(str(tmp_path / "dst"))).glob("*/doc.txt"))
    assert [p.read_text() for p in kept] == ["version one"]


def test_deleted_file_moves_to_versions(tmp_path: Path, mirror: MirrorRun) -> None:
    make_tree(tmp_path / "src", {"keep1": "1", "keep2": "2", "gone/x.txt": "x"})
    mirror()
    (tmp_path / "src" / "gone" / "x.txt").unlink()
    (tmp_path / "src" / "gone").rmdir()
    assert mirror().exit_code == 0
    assert not (tmp_path / "dst" / "gone").exists()
    assert [p.read_text() for p in (tmp_path / "dst" / ".rearguard").rglob("x.txt")] == ["x"]


def test_without_versions_deleted_files_are_removed(tmp_path: Path, mirror: MirrorRun) -> None:
    make_tree(tmp_path / "src", {"keep1": "1", "keep2": "2", "old": "o"})
    mirror(versions=False)
    (tmp_path / "src" / "old").unlink()
    assert mirror(versions=False).exit_code == 0
    assert not (tmp_path / "dst" / "old").exists()
    assert not (tmp_path / "dst" / ".rearguard").exists()


def test_delete_false_keeps_extras(tmp_path: Path, mirror: MirrorRun) -> None:
    make_tree(tmp_path / "src", {"a": "1"})
    make_tree(tmp_path / "dst", {"extra": "mine"})
    assert mirror(delete=False).exit_code == 0
    assert (tmp_path / "dst" / "extra").read_text() == "mine"


def test_exclude_patterns_and_excluded_replica_entries_are_left_alone(
    tmp_path: Path, mirror: MirrorRun
) -> None:
    make_tree(tmp_path / "src", {"a.txt": "a", "b.tmp": "b", "cache/x": "x", "~$lock.docx": "l"})
    make_tree(tmp_path / "dst", {"own.tmp": "replica's own", "keep.txt": "k"})
    outcome = mirror(exclude=["*.tmp", "cache/", "~$*"], max_delete_percent=100)
    assert outcome.exit_code == 0
    got = snapshot(tmp_path / "dst")
    assert set(got) == {"a.txt", "own.tmp"}


def test_hidden_files_skipped_when_asked(tmp_path: Path, mirror: MirrorRun) -> None:
    make_tree(tmp_path / "src", {".git/config": "c", "a": "a", ".env": "secret"})
    mirror(include_hidden=False)
    assert set(snapshot(tmp_path / "dst")) == {"a"}


@pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
def test_symlinks_are_copied_as_links_never_followed(tmp_path: Path, mirror: MirrorRun) -> None:
    outside = make_tree(tmp_path / "outside", {"private.txt": "not part of the source"})
    make_tree(tmp_path / "src", {"a": "a"})
    (tmp_path / "src" / "to-outside").symlink_to(outside)
    (tmp_path / "src" / "rel-link").symlink_to("a")
    assert mirror().exit_code == 0
    assert os.readlink(tmp_path / "dst" / "to-outside") == str(outside)
    assert os.readlink(tmp_path / "dst" / "rel-link") == "a"
    assert not (tmp_path / "dst" / "private.txt").exists()
    assert mirror(dry_run=True).plan.actions == ()  # type: ignore[union-attr]


def test_type_change_file_to_folder_keeps_the_old_file(tmp_path: Path, mirror: MirrorRun) -> None:
    make_tree(tmp_path / "src", {"thing": "a file", "x": "1", "y": "2"})
    mirror()
    (tmp_path / "src" / "thing").unlink()
    make_tree(tmp_path / "src", {"thing/inner.txt": "now a folder"})
    assert mirror().exit_code == 0
    assert (tmp_path / "dst" / "thing" / "inner.txt").read_text() == "now a folder"
    assert [p.read_text() for p in (tmp_path / "dst" / ".rearguard").rglob("thing") if p.is_file()] == [
        "a file"
    ]


def test_leftover_temp_files_of_a_killed_run_are_removed(tmp_path: Path, mirror: MirrorRun) -> None:
    make_tree(tmp_path / "src", {"a": "a"})
    make_tree(tmp_path / "dst", {"sub/.~rg.1234abcd.big.iso.part": "half", "a": "old"})
    assert mirror().exit_code == 0
    assert not list((tmp_path / "dst").rglob(".~rg.*"))


def test_old_version_sets_are_pruned(tmp_path: Path, mirror: MirrorRun) -> None:
    make_tree(tmp_path / "src", {"a": "a"})
    old = tmp_path / "dst" / ".rearguard" / "versions" / "2001-01-01T000000Z"
    make_tree(old, {"ancient.txt": "x"})
    assert mirror(keep_versions="30d").exit_code == 0
    assert not old.exists()


def test_dry_run_changes_nothing(tmp_path: Path, mirror: MirrorRun) -> None:
    make_tree(tmp_path / "src", {"a": "a", "b/c": "c"})
    outcome = mirror(dry_run=True)
    assert outcome.exit_code == 0
    assert not (tmp_path / "dst").exists()
    assert {(a.kind.value, a.path) for a in outcome.plan.actions} == {  # type: ignore[union-attr]
        ("copy", "a"),
        ("copy", "b"),
        ("copy", "b/c"),
    }


def test_report_counts_add_up(tmp_path: Path, mirror: MirrorRun) -> None:
    make_tree(tmp_path / "src", {f"f{i}": str(i) * i for i in range(150)})
    report = mirror().report
    assert report is not None
    counts = report.counts()
    assert counts == {"planned": 150, "done": 150, "skipped": 0, "failed": 0, "refused": 0, "looked_at": 150}
    assert report.bytes_done == sum(len(str(i) * i) for i in range(150))


def test_coarse_replica_times_do_not_look_changed(
    tmp_path: Path, mirror: MirrorRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On FAT (2 s) or a NAS (1 s) the replica rounds mtimes; the next run must not copy again."""
    from engine.jobs import mirror as mirror_job

    make_tree(tmp_path / "src", {"a.txt": "a"})
    os.utime(tmp_path / "src" / "a.txt", ns=(0, T0 * 10**9 + 700_000_000))
    monkeypatch.setattr(mirror_job, "probe_mtime_step", lambda folder: 2_000_000_000)
    assert mirror().exit_code == 0
    os.utime(tmp_path / "dst" / "a.txt", ns=(0, T0 * 10**9 + 2 * 10**9))  # what FAT stored
    assert mirror(dry_run=True).plan.actions == ()  # type: ignore[union-attr]
    monkeypatch.setattr(mirror_job, "probe_mtime_step", lambda folder: 1)
    assert len(mirror(dry_run=True).plan.actions) == 1  # type: ignore[union-attr]


def test_probe_reads_this_filesystems_time_step(tmp_path: Path) -> None:
    from engine.jobs.mirror.walk import probe_mtime_step

    assert probe_mtime_step(str(tmp_path)) in (1, 100, 1_000)  # ext4/tmpfs keep ns; never seconds
    assert list(tmp_path.iterdir()) == []
