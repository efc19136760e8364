"""Getting an older copy back from a mirror's versions, and the rclone restore command lines."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.core.profiles import MirrorProfile, Profile, RcloneProfile, RevitProfile
from engine.core.restore import (
    RestoreConflict,
    RestoreEntry,
    can_restore_in_place,
    original_place,
    restore,
    restore_points,
)
from engine.files.pathsafety import UnsafePath
from engine.jobs.rclone.restore import RemoteVersion, download_argv, list_argv, list_versions, parse_listing
from engine.tools.process import ProcessResult

STAMP = "2026-03-02T020000Z"


def kept(replica: Path, stamp: str = STAMP) -> Path:
    folder = replica / ".rearguard" / "versions" / stamp
    (folder / "docs" / "deep").mkdir(parents=True)
    (folder / "docs" / "report.txt").write_text("version of march", encoding="utf-8")
    (folder / "docs" / "deep" / "plan.txt").write_text("old plan", encoding="utf-8")
    return folder


def mirror(tmp_path: Path) -> Profile:
    spec = MirrorProfile.model_validate(
        {
            "kind": "mirror",
            "mirror": {"source": str(tmp_path / "source"), "replica": str(tmp_path / "rep")},
        },
        context={"check_overlap": False},
    )
    return Profile(name="docs", spec=spec)


def test_a_file_is_restored_to_its_original_place_under_the_source(tmp_path: Path) -> None:
    kept(tmp_path / "rep")
    profile = mirror(tmp_path)
    (point,) = restore_points(profile)
    assert point.run == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    assert "docs/deep/plan.txt" in [e.path for e in point.entries] and point.files == 2
    entry = point.entry("docs/report.txt")
    target = original_place(profile, entry)
    assert target == tmp_path / "source" / "docs" / "report.txt"
    assert restore(profile, point, entry) == 1
    assert target.read_text(encoding="utf-8") == "version of march"
    assert [p.name for p in target.parent.iterdir()] == ["report.txt"]  # no temporary left behind


def test_restore_never_overwrites_without_being_told_and_keeps_what_it_replaces(tmp_path: Path) -> None:
    kept(tmp_path / "rep")
    profile = mirror(tmp_path)
    target = tmp_path / "source" / "docs"
    (target / "deep").mkdir(parents=True)
    (target / "deep" / "plan.txt").write_text("today's plan", encoding="utf-8")
    (point,) = restore_points(profile)
    with pytest.raises(RestoreConflict) as refused:
        restore(profile, point, point.entry("docs"))
    assert refused.value.existing == [target / "deep" / "plan.txt"]
    assert not (target / "report.txt").exists()  # nothing at all was written
    assert (target / "deep" / "plan.txt").read_text(encoding="utf-8") == "today's plan"
    assert restore(profile, point, point.entry("docs"), overwrite=True) == 2
    assert (target / "deep" / "plan.txt").read_text(encoding="utf-8") == "old plan"
    # What the restore replaced is itself a version now: restorable, nothing lost.
    newest = restore_points(profile)[0]
    assert newest.key != STAMP and [e.path for e in newest.entries if not e.is_dir] == ["docs/deep/plan.txt"]
    assert (newest.folder / "docs" / "deep" / "plan.txt").read_text(encoding="utf-8") == "today's plan"


def test_restore_elsewhere_keeps_an_existing_file_beside_it(tmp_path: Path) -> None:
    kept(tmp_path / "rep")
    profile = mirror(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "report.txt").write_text("mine", encoding="utf-8")
    (point,) = restore_points(profile)
    assert restore(profile, point, point.entry("docs/report.txt"), into=elsewhere, overwrite=True) == 1
    assert (elsewhere / "report.txt").read_text(encoding="utf-8") == "version of march"
    (aside,) = [p for p in elsewhere.iterdir() if p.name.startswith("report.txt.replaced-")]
    assert aside.read_text(encoding="utf-8") == "mine"


def test_an_entry_outside_the_versions_folder_has_no_original_place(tmp_path: Path) -> None:
    kept(tmp_path / "rep")
    with pytest.raises(UnsafePath):
        original_place(mirror(tmp_path), RestoreEntry("../escape.txt"))


def test_rclone_versions_are_points_and_download_to_their_place_keeping_the_old_file(tmp_path: Path) -> None:
    remote, source = tmp_path / "remote", tmp_path / "source"
    folder = remote / ".rearguard" / "versions" / "2026-03-02T020000.000001Z" / "a"
    folder.mkdir(parents=True)
    (folder / "b.txt").write_text("old b", encoding="utf-8")
    (source / "a").mkdir(parents=True)
    (source / "a" / "b.txt").write_text("new b", encoding="utf-8")
    spec = RcloneProfile.model_validate(
        {"kind": "rclone", "rclone": {"source": str(source), "remote": str(remote)}}
    )
    profile = Profile(name="off", spec=spec)
    (point,) = restore_points(profile)
    assert [(e.path, e.size) for e in point.entries] == [("a/b.txt", 5)] and point.folder is None
    with pytest.raises(RestoreConflict):
        restore(profile, point, point.entries[0])
    assert restore(profile, point, point.entries[0], overwrite=True) == 1
    assert (source / "a" / "b.txt").read_text(encoding="utf-8") == "old b"
    (aside,) = [p for p in (source / "a").iterdir() if p.name != "b.txt"]
    assert aside.read_text(encoding="utf-8") == "new b"


def test_a_revit_export_is_copied_into_a_chosen_folder_only(tmp_path: Path) -> None:
    target = tmp_path / "exports"
    (target / "2026-03-02" / "Proj").mkdir(parents=True)
    (target / "2026-03-02" / "Proj" / "Tower.rvt").write_bytes(b"model")
    spec = RevitProfile.model_validate(
        {
            "kind": "revit",
            "revit": {"server": "RS", "projects_dir": str(tmp_path), "tool": "t.exe", "target": str(target)},
        }
    )
    profile = Profile(name="rv", spec=spec)
    assert not can_restore_in_place(profile)
    (point,) = restore_points(profile)
    entry = point.entry("Proj/Tower.rvt")
    assert original_place(profile, entry) is None
    with pytest.raises(ValueError):
        restore(profile, point, entry)
    assert restore(profile, point, entry, into=tmp_path) == 1
    assert (tmp_path / "Tower.rvt").read_bytes() == b"model"


def test_rclone_listing_and_download_command_lines() -> None:
    assert list_argv("rclone", "off:bucket", config="r.conf") == [
        "rclone", "lsf", "--recursive", "--files-only", "--format", "ps", "--separator", "\t",
        "--config", "r.conf", "--", "off:bucket/.rearguard/versions",
    ]  # fmt: skip
    text = "2026-03-02T020000.000001Z/a/b.txt\t12\nnot-a-stamp/x\t3\n2026-03-03T020000.5Z/c.txt\t7\n"
    versions = parse_listing(text)
    assert [(v.stamp, v.relative, v.size) for v in versions] == [
        ("2026-03-03T020000.5Z", "c.txt", 7),
        ("2026-03-02T020000.000001Z", "a/b.txt", 12),
    ]
    argv = download_argv("rclone", "off:", versions[1], "/restore/here")
    assert argv == [
        "rclone", "copy", "--ignore-existing", "--",
        "off:.rearguard/versions/2026-03-02T020000.000001Z/a/b.txt", "/restore/here",
    ]  # fmt: skip
    assert "--ignore-existing" not in download_argv("rclone", "off:", versions[1], "/x", overwrite=True)


def test_listing_a_remote_without_versions_is_empty_not_an_error() -> None:
    def missing(argv: list[str], **_: object) -> ProcessResult:
        return ProcessResult(argv, 3, "", "directory not found")

    assert list_versions("rclone", "off:bucket", run=missing) == []
    version = RemoteVersion(datetime(2026, 3, 2, tzinfo=UTC), "s", "a.txt", 1)
    assert version.path == "s/a.txt"
