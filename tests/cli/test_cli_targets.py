"""Two profiles that write into the same folder (or one inside the other) are refused at the CLI."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import CLI, write_profile
from tests.engine.mirror.trees import make_tree


def _mirror(source: Path, replica: Path) -> str:
    return f'kind = "mirror"\n[mirror]\nsource = "{source}"\nreplica = "{replica}"\n'


def _rclone(source: Path, remote: str | Path) -> str:
    return f'kind = "rclone"\n[rclone]\nsource = "{source}"\nremote = "{remote}"\n'


def test_check_and_run_refuse_a_replica_inside_another_profiles_target(
    cli: CLI, home: Path, tmp_path: Path
) -> None:
    make_tree(tmp_path / "src", {"a.txt": "a"})
    make_tree(tmp_path / "other", {"b.txt": "b"})
    write_profile(home, "usb", _mirror(tmp_path / "src", tmp_path / "backup" / "usb"))
    write_profile(home, "offsite", _rclone(tmp_path / "other", tmp_path / "backup"))

    checked = cli("check", "usb")
    assert checked.code == 2, checked.err
    assert "[mirror].replica" in checked.err and "'offsite'" in checked.err
    assert len(checked.err.strip().splitlines()) == 1 and "Traceback" not in checked.err

    ran = cli("run", "usb", "--json")
    assert ran.code == 3, ran.err
    report = ran.json()
    assert report["status"] == "refused" and "'offsite'" in report["reason"]
    assert not (tmp_path / "backup" / "usb").exists()  # nothing written

    other = cli("run", "offsite", "--dry-run", "--json")
    assert other.code == 3 and "'usb'" in other.json()["reason"]
    assert "Traceback" not in ran.err + other.err


def test_same_remote_string_is_refused(cli: CLI, home: Path, tmp_path: Path) -> None:
    make_tree(tmp_path / "a", {"x": "1"})
    write_profile(home, "one", _rclone(tmp_path / "a", "offsite:bucket/projects"))
    write_profile(home, "two", _rclone(tmp_path / "a", "offsite:bucket/projects/2024"))
    checked = cli("check", "two")
    assert checked.code == 2 and "'one'" in checked.err and "is inside" in checked.err
    assert cli("run", "two").code == 3


def test_profiles_with_separate_targets_pass(cli: CLI, home: Path, tmp_path: Path) -> None:
    make_tree(tmp_path / "src", {"a.txt": "a"})
    write_profile(home, "usb", _mirror(tmp_path / "src", tmp_path / "backup" / "usb"))
    write_profile(home, "usb2", _mirror(tmp_path / "src", tmp_path / "backup" / "usb2"))
    (tmp_path / "backup").mkdir()
    assert cli("check", "usb").code == 0
    assert cli("run", "usb").code == 0


def test_quick_mirror_into_a_saved_profiles_target_is_refused(cli: CLI, home: Path, tmp_path: Path) -> None:
    make_tree(tmp_path / "src", {"a.txt": "a"})
    make_tree(tmp_path / "mine", {"b.txt": "b"})
    write_profile(home, "usb", _mirror(tmp_path / "src", tmp_path / "backup"))
    result = cli("mirror", str(tmp_path / "mine"), str(tmp_path / "backup" / "inner"))
    assert result.code == 3, result.err
    assert "'usb'" in result.err + result.out and "Traceback" not in result.err
    assert not (tmp_path / "backup" / "inner").exists()
    assert cli("mirror", str(tmp_path / "mine"), str(tmp_path / "elsewhere")).code == 0
