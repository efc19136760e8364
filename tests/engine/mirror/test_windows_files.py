"""Windows file-system behaviour a mirror meets on a Revit or file server: long paths, names that
differ only by case, read-only and hidden attributes, a file another program holds open, and UNC
targets. The pure rules run everywhere; the tests that need NTFS and Windows' own rules run on
Windows (CI's Windows job) and say why they are skipped elsewhere."""

from __future__ import annotations

import ctypes
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from engine.files.pathsafety import is_unc, windows_long_path, windows_name_problem
from engine.jobs.mirror import walk
from tests.engine.mirror.conftest import MirrorRun
from tests.engine.mirror.trees import make_tree, snapshot

WINDOWS_ONLY = pytest.mark.skipif(sys.platform != "win32", reason="needs NTFS and Windows' file rules")


# -- the pure rules, everywhere ------------------------------------------------------------------


def test_long_paths_get_the_extended_prefix_from_260_characters() -> None:
    short = "C:\\" + "x" * 256  # 259 characters: still fine without the prefix
    assert windows_long_path(short) == short
    assert windows_long_path(short + "y") == "\\\\?\\" + short + "y"
    assert windows_long_path("C:/" + "z" * 300) == "\\\\?\\C:\\" + "z" * 300  # separators made Windows'
    already = "\\\\?\\C:\\" + "q" * 300
    assert windows_long_path(already) == already


def test_unc_targets_keep_their_server_and_share() -> None:
    target = "\\\\nas\\backups\\" + "r" * 300
    assert is_unc(target) and not is_unc("C:\\backups")
    assert windows_long_path(target) == "\\\\?\\UNC\\nas\\backups\\" + "r" * 300


def test_names_windows_refuses() -> None:
    assert windows_name_problem("aux.rvt") == "'AUX' is a reserved name on Windows"
    assert windows_name_problem("report?.txt") == 'contains one of <>:"|?*'
    assert windows_name_problem("Report.txt") is None


def test_names_that_differ_only_by_case_are_one_name_where_the_disk_says_so(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(walk, "CASE_INSENSITIVE", True)
    assert walk._key("Report.TXT") == walk._key("report.txt")
    monkeypatch.setattr(walk, "CASE_INSENSITIVE", False)
    assert walk._key("Report.TXT") != walk._key("report.txt")


# -- on Windows ----------------------------------------------------------------------------------


@WINDOWS_ONLY
def test_a_path_longer_than_260_characters_is_mirrored(tmp_path: Path, mirror: MirrorRun) -> None:
    deep = "/".join(["a-folder-name-of-forty-characters-long-x"] * 7) + "/model.rvt"
    assert len(str(tmp_path / "src" / deep)) > 260
    make_tree(Path(windows_long_path(str(tmp_path / "src"))), {deep: "long"})
    outcome = mirror()
    assert outcome.exit_code == 0, outcome.report
    copied = Path(windows_long_path(str(tmp_path / "dst" / deep)))
    assert copied.read_text() == "long"


@WINDOWS_ONLY
def test_a_rename_that_only_changes_case_reaches_the_replica(tmp_path: Path, mirror: MirrorRun) -> None:
    make_tree(tmp_path / "src", {"Report.txt": "q3"})
    assert mirror().exit_code == 0
    (tmp_path / "src" / "Report.txt").rename(tmp_path / "src" / "report.txt")
    assert mirror().exit_code == 0
    assert [p.name for p in (tmp_path / "dst").iterdir() if p.name != ".rearguard"] == ["report.txt"]
    assert (tmp_path / "dst" / "report.txt").read_text() == "q3"


@WINDOWS_ONLY
def test_read_only_files_are_copied_and_replaced(tmp_path: Path, mirror: MirrorRun) -> None:
    make_tree(tmp_path / "src", {"locked-down.txt": "one"})
    os.chmod(tmp_path / "src" / "locked-down.txt", stat.S_IREAD)  # the read-only attribute
    assert mirror().exit_code == 0
    os.chmod(tmp_path / "dst" / "locked-down.txt", stat.S_IREAD)
    os.chmod(tmp_path / "src" / "locked-down.txt", stat.S_IREAD | stat.S_IWRITE)
    make_tree(tmp_path / "src", {"locked-down.txt": "two, longer"})
    outcome = mirror()
    assert outcome.exit_code == 0, outcome.report
    assert (tmp_path / "dst" / "locked-down.txt").read_text() == "two, longer"


@WINDOWS_ONLY
def test_files_with_the_hidden_attribute_are_mirrored(tmp_path: Path, mirror: MirrorRun) -> None:
    make_tree(tmp_path / "src", {"desktop.ini": "[.ShellClassInfo]", "plan.txt": "p"})
    subprocess.run(["attrib", "+h", str(tmp_path / "src" / "desktop.ini")], check=True)
    assert mirror().exit_code == 0
    assert snapshot(tmp_path / "dst") == snapshot(tmp_path / "src")


@contextmanager
def _held_open_exclusively(path: Path) -> Iterator[None]:
    """Open ``path`` the way Revit or Excel holds a file: no sharing with anyone."""
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    kernel32.CreateFileW.restype = ctypes.c_void_p
    generic_read, open_existing, no_sharing = 0x80000000, 3, 0
    handle = kernel32.CreateFileW(str(path), generic_read, no_sharing, None, open_existing, 0, None)
    assert handle not in (None, ctypes.c_void_p(-1).value), ctypes.get_last_error()  # type: ignore[attr-defined]
    try:
        yield
    finally:
        kernel32.CloseHandle(ctypes.c_void_p(handle))


@WINDOWS_ONLY
def test_a_file_another_program_holds_fails_alone_and_is_copied_next_run(
    tmp_path: Path, mirror: MirrorRun
) -> None:
    make_tree(tmp_path / "src", {"open-in-revit.rvt": "busy", "free.txt": "free"})
    with _held_open_exclusively(tmp_path / "src" / "open-in-revit.rvt"):
        outcome = mirror()
    assert outcome.exit_code == 1 and outcome.report is not None
    failed = [item for item in outcome.report.items if item.status == "failed"]
    assert [item.path for item in failed] == ["open-in-revit.rvt"]
    assert failed[0].message  # says why, in words
    assert (tmp_path / "dst" / "free.txt").read_text() == "free"
    assert not (tmp_path / "dst" / "open-in-revit.rvt").exists()
    assert mirror().exit_code == 0  # released: the next run copies it
    assert (tmp_path / "dst" / "open-in-revit.rvt").read_text() == "busy"


@WINDOWS_ONLY
def test_a_unc_target_is_mirrored(tmp_path: Path, mirror: MirrorRun) -> None:
    drive, rest = os.path.splitdrive(str(tmp_path / "dst-unc"))
    unc = f"\\\\localhost\\{drive.rstrip(':')}${rest}"  # the administrative share of this disk
    if not os.path.isdir(os.path.dirname(unc)):
        pytest.skip("the administrative share \\\\localhost\\C$ is not reachable here")
    make_tree(tmp_path / "src", {"a/b.txt": "over the network"})
    outcome = mirror(replica=unc)
    assert outcome.exit_code == 0, outcome.report
    assert (tmp_path / "dst-unc" / "a" / "b.txt").read_text() == "over the network"
