"""Profile files: what loads, and how every problem is reported with its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.core.errors import ProfileError
from engine.core.profiles import dump_profile, parse_profile_text, read_profile

GOOD = """
kind = "mirror"
description = "Project share to USB disk"

[schedule]
every = "4h"
at = "02:00"

[mirror]
source = "/data/projects"
replica = "/mnt/usb/projects"
exclude = ["*.tmp", "~$*", "Thumbs.db"]
max_delete_percent = 50
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ProfileError) as caught:
        parse_profile_text(text, "p")
    return caught.value.problems


def test_design_example_loads_with_defaults() -> None:
    profile = parse_profile_text(GOOD, "usb")
    assert profile.kind == "mirror"
    assert profile.spec.mirror.versions is True  # type: ignore[union-attr]
    assert profile.spec.schedule is not None and profile.spec.schedule.interval.total_seconds() == 4 * 3600


def test_every_problem_is_reported_at_once_with_its_location() -> None:
    found = problems("""
kind = "mirror"
colour = "red"
[schedule]
every = "5m"
[mirror]
source = "/a"
replica = 7
delete = "yes"
keep_versions = "forever"
""")
    assert "colour: unknown key" in found
    assert any(p.startswith("[schedule].every: '5m' is too short") for p in found)
    assert any(p.startswith("[mirror].replica:") for p in found)
    assert any(p.startswith("[mirror].delete:") for p in found)
    assert any(p.startswith("[mirror].keep_versions: 'forever' is not a duration") for p in found)
    assert len(found) == 5


def test_overlapping_source_and_replica_is_a_profile_error() -> None:
    found = problems('kind = "mirror"\n[mirror]\nsource = "/data"\nreplica = "/data/backup"\n')
    assert found == ["[mirror]: replica must not be inside source"]


def test_missing_section_and_unknown_kind() -> None:
    assert problems('kind = "mirror"\n') == ["[mirror]: section is missing"]
    assert problems('kind = "ftp"\n')[0].startswith("kind: 'ftp'; must be one of")


def test_other_kinds_section_is_unknown() -> None:
    text = GOOD + '\n[rclone]\nsource = "/x"\nremote = "r:"\n'
    assert "[rclone]: section does not belong to this kind of profile" in problems(text)


def test_rclone_and_revit_profiles_validate() -> None:
    rclone = parse_profile_text('kind = "rclone"\n[rclone]\nsource = "/d"\nremote = "off:b"\n', "r")
    assert rclone.spec.rclone.transfers == 4  # type: ignore[union-attr]
    revit = parse_profile_text(
        """kind = "revit"
[revit]
server = "RS01"
projects_dir = 'C:\\ProgramData\\Autodesk\\Revit Server 2024\\Projects'
tool = 'C:\\Program Files\\Autodesk\\RevitServerTool.exe'
target = '\\\\nas\\backups\\revit'
""",
        "v",
    )
    assert revit.spec.revit.model_table_path.endswith("Projects\\ModelLocationTable.db3")  # type: ignore[union-attr]


def test_bad_toml_names_the_line() -> None:
    assert problems('kind = "mirror"\n[mirror\n')[0].startswith("not valid TOML")


def test_dump_then_load_round_trips(tmp_path: Path) -> None:
    spec = parse_profile_text(GOOD, "usb").spec
    path = tmp_path / "usb.toml"
    path.write_text(dump_profile(spec))
    assert read_profile(path).spec == spec


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="file not found"):
        read_profile(tmp_path / "nope.toml")
