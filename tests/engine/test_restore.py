"""Getting an older copy back from a mirror's versions, and the rclone restore command lines."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.jobs.mirror.restore import RestoreConflict, original_place, restore, version_sets
from engine.jobs.rclone.restore import RemoteVersion, download_argv, list_argv, list_versions, parse_listing
from engine.tools.process import ProcessResult

STAMP = "2026-03-02T020000Z"


def kept(replica: Path, stamp: str = STAMP) -> Path:
    folder = replica / ".rearguard" / "versions" / stamp
    (folder / "docs" / "deep").mkdir(parents=True)
    (folder / "docs" / "report.txt").write_text("version of march", encoding="utf-8")
    (folder / "docs" / "deep" / "plan.txt").write_text("old plan", encoding="utf-8")
    return folder


def test_a_file_is_restored_to_its_original_place_under_the_source(tmp_path: Path) -> None:
    kept(tmp_path / "replica")
    (sets,) = version_sets(tmp_path / "replica")
    assert sets.run == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    assert Path("docs/deep/plan.txt") in sets.entries()
    item = sets.folder / "docs" / "report.txt"
    target = original_place(tmp_path / "source", sets, item)
    assert target == tmp_path / "source" / "docs" / "report.txt"
    assert restore(item, target) == 1
    assert target.read_text(encoding="utf-8") == "version of march"
    assert [p.name for p in target.parent.iterdir()] == ["report.txt"]  # no temporary left behind


def test_restore_never_overwrites_without_being_told(tmp_path: Path) -> None:
    folder = kept(tmp_path / "replica")
    target = tmp_path / "source" / "docs"
    (target / "deep").mkdir(parents=True)
    (target / "deep" / "plan.txt").write_text("today's plan", encoding="utf-8")
    with pytest.raises(RestoreConflict) as refused:
        restore(folder / "docs", target)
    assert refused.value.existing == [target / "deep" / "plan.txt"]
    assert not (target / "report.txt").exists()  # nothing at all was written
    assert (target / "deep" / "plan.txt").read_text(encoding="utf-8") == "today's plan"
    assert restore(folder / "docs", target, overwrite=True) == 2
    assert (target / "deep" / "plan.txt").read_text(encoding="utf-8") == "old plan"


def test_an_item_outside_the_versions_folder_has_no_original_place(tmp_path: Path) -> None:
    kept(tmp_path / "replica")
    (sets,) = version_sets(tmp_path / "replica")
    with pytest.raises(ValueError):
        original_place(tmp_path / "source", sets, Path("../escape.txt"))


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
