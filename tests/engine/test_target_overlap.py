"""Two profiles never write into the same folder: the pure rules of engine.core.target_overlap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.core.errors import ProfileError, SafetyRefusal
from engine.core.folders import Folders, app_folders
from engine.core.profiles import Profile, validate_spec
from engine.core.target_overlap import (
    check_targets_apart,
    clashes,
    local_path_of_remote,
    refuse_overlapping_targets,
    relation,
    target_of,
)


def mirror(name: str, replica: str | Path, source: str | Path = "/data/src") -> Profile:
    spec = validate_spec({"kind": "mirror", "mirror": {"source": str(source), "replica": str(replica)}}, name)
    return Profile(name, spec)


def rclone(name: str, remote: str | Path, source: str | Path = "/data/src") -> Profile:
    spec = validate_spec({"kind": "rclone", "rclone": {"source": str(source), "remote": str(remote)}}, name)
    return Profile(name, spec)


def revit(name: str, target: str | Path) -> Profile:
    section: dict[str, Any] = {
        "server": "RS01",
        "projects_dir": "/srv/Projects",
        "tool": "/opt/RevitServerTool.exe",
        "target": str(target),
    }
    return Profile(name, validate_spec({"kind": "revit", "revit": section}, name))


@pytest.mark.parametrize(
    ("remote", "platform", "local"),
    [
        ("offsite:bucket/projects", "linux", None),
        (":s3,provider=AWS:bucket", "linux", None),
        ("/mnt/nas/backup", "linux", "/mnt/nas/backup"),
        ("relative/folder", "linux", "relative/folder"),
        ("./odd:name", "linux", "./odd:name"),
        (":local:/mnt/x", "linux", "/mnt/x"),
        (r"D:\backup", "win32", r"D:\backup"),
        (r"D:\backup", "linux", None),  # on Linux "D" would be a remote's name
    ],
)
def test_which_remotes_are_local_folders(remote: str, platform: str, local: str | None) -> None:
    assert local_path_of_remote(remote, platform) == local


def test_folders_same_inside_around_apart(tmp_path: Path) -> None:
    a = target_of(mirror("a", tmp_path / "t"))
    assert relation(a, target_of(mirror("b", tmp_path / "t"))) == "is the same folder as"
    assert relation(a, target_of(mirror("b", tmp_path / "t/"))) == "is the same folder as"
    assert relation(a, target_of(mirror("b", tmp_path))) == "is inside"
    assert relation(a, target_of(mirror("b", tmp_path / "t" / "sub"))) == "contains"
    assert relation(a, target_of(mirror("b", tmp_path / "t2"))) is None
    assert relation(a, target_of(mirror("b", tmp_path / "u"))) is None


def test_a_link_to_the_same_folder_is_the_same_folder(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    assert relation(target_of(mirror("a", tmp_path / "real")), target_of(rclone("b", tmp_path / "link"))) == (
        "is the same folder as"
    )


def test_every_kind_of_target_is_compared(tmp_path: Path) -> None:
    usb = tmp_path / "usb"
    assert relation(target_of(mirror("m", usb)), target_of(rclone("r", usb / "x"))) == "contains"
    assert relation(target_of(revit("v", usb / "revit")), target_of(mirror("m", usb))) == "is inside"
    assert relation(target_of(rclone("r", usb)), target_of(revit("v", usb))) == "is the same folder as"


def test_remote_strings_overlap_by_name_and_path() -> None:
    base = target_of(rclone("a", "offsite:bucket/projects"))
    assert relation(base, target_of(rclone("b", "offsite:bucket/projects"))) == "is the same folder as"
    assert relation(base, target_of(rclone("b", "offsite:bucket/projects/"))) == "is the same folder as"
    assert relation(base, target_of(rclone("b", "offsite:/bucket//projects"))) == "is the same folder as"
    assert relation(base, target_of(rclone("b", "offsite:bucket"))) == "is inside"
    assert relation(base, target_of(rclone("b", "offsite:"))) == "is inside"
    assert relation(base, target_of(rclone("b", "offsite:bucket/projects/2024"))) == "contains"
    assert relation(base, target_of(rclone("b", "offsite:bucket/projects-old"))) is None
    assert relation(base, target_of(rclone("b", "other:bucket/projects"))) is None
    assert relation(base, target_of(mirror("m", "/bucket/projects"))) is None


def test_remote_with_options_compares_by_remote_name() -> None:
    a = target_of(rclone("a", "s3,provider=AWS:bucket/x"))
    assert relation(a, target_of(rclone("b", "s3:bucket"))) == "is inside"
    assert relation(target_of(rclone("a", ":s3:bucket")), target_of(rclone("b", "s3:bucket"))) is None


def test_clash_message_names_both_keys_and_the_other_profile(tmp_path: Path) -> None:
    found = clashes(
        mirror("usb", tmp_path / "t"), [rclone("offsite", tmp_path / "t" / "x"), mirror("o", "/else")]
    )
    assert found == [
        f"[mirror].replica {tmp_path / 't'} contains the target of profile 'offsite'"
        f" ([rclone].remote = {tmp_path / 't' / 'x'}); two profiles must never write into the same folder"
    ]


def test_a_secret_in_a_remote_string_is_not_shown() -> None:
    found = clashes(
        rclone("a", ":sftp,host=h,pass=hunter22:x"), [rclone("b", ":sftp,host=h,pass=hunter22:x/y")]
    )
    assert len(found) == 1 and "hunter22" not in found[0]


@pytest.fixture
def folders(home: Path) -> Folders:
    return app_folders().create()


def _mirror_text(source: Path, replica: Path) -> str:
    return f'kind = "mirror"\n[mirror]\nsource = "{source}"\nreplica = "{replica}"\n'


def _save(folders: Folders, name: str, text: str) -> Path:
    path = folders.profiles / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_saved_profiles_are_compared_but_not_the_profile_itself(folders: Folders, tmp_path: Path) -> None:
    from engine.core.profiles import read_profile

    own = _save(
        folders, "usb", f'kind = "mirror"\n[mirror]\nsource = "{tmp_path}/a"\nreplica = "{tmp_path}/t"\n'
    )
    _save(folders, "broken", "kind = 'mirror'\n[mirror]\nsource = 3\n")  # invalid: never compared
    profile = read_profile(own)
    check_targets_apart(profile, folders)  # only itself and an invalid profile: fine
    refuse_overlapping_targets(profile, folders)
    _save(
        folders, "offsite", f'kind = "rclone"\n[rclone]\nsource = "{tmp_path}/b"\nremote = "{tmp_path}/t/x"\n'
    )
    with pytest.raises(ProfileError) as problem:
        check_targets_apart(profile, folders)
    assert problem.value.exit_code == 2 and "'offsite'" in str(problem.value)
    assert str(problem.value).startswith(f"{own}: [mirror].replica")
    with pytest.raises(SafetyRefusal) as refusal:
        refuse_overlapping_targets(profile, folders)
    assert refusal.value.exit_code == 3 and "'offsite'" in str(refusal.value)


def test_a_profile_without_a_file_is_compared_with_every_saved_one(folders: Folders, tmp_path: Path) -> None:
    _save(folders, "usb", _mirror_text(tmp_path / "a", tmp_path / "t"))
    with pytest.raises(SafetyRefusal, match="'usb'"):
        refuse_overlapping_targets(mirror("mirror-t-1234", tmp_path / "t", tmp_path / "c"), folders)
