"""Hostile file and model names never escape their root.

``..``, absolute and drive paths, control characters, very long names, reserved Windows names
(``CON``), trailing dots and spaces, names that look like flags: mirrored and uploaded names stay
below the replica or remote (or are left out with a reason); model paths from the server's table
either export below ``<target>/<day>`` or are refused. Nothing is ever written anywhere else.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path, PureWindowsPath

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.core.folders import Folders
from engine.core.profiles import MirrorProfile, Profile, RcloneProfile, parse_profile_text
from engine.core.runner import run_profile
from engine.files.pathsafety import UnsafePath, join_inside
from engine.jobs.revit.model_paths import ModelPath, classify, export_destination
from tests.fakes.revit_server import DEFAULT_NOW, FakeModel, build_server, make_tool
from tests.reliability import scale
from tests.reliability.world import real_files

pytestmark = [pytest.mark.reliability, pytest.mark.skipif(sys.platform == "win32", reason="POSIX names")]

HOSTILE_NAMES = [
    "CON",
    "con.txt",
    "NUL",
    "aux.c",
    "COM1",
    "LPT9.txt",
    "trailing.",
    "trailing ",
    "...",
    ". .",
    " lead",
    "a\x01b",
    "tab\tname",
    "bell\x07",
    "x" * 255,
    "..\\..\\evil.txt",
    "C:\\abs.txt",
    "\\\\server\\share",
    "-rf",
    "--files-from",
    '*?<>|":',
    "caf\u00e9",
    "cafe\u0301",
    "\U0001f600",
    "\u202eevil.exe",
    os.fsdecode(b"bytes\xff\xfe"),
    "new\nline",
    "a%2e%2e",
    ".~rg.lookalike",
    ".rearguard-not",
]
LONG_PATH = "/".join(["d" * 200] * 12) + "/deep.txt"  # about 2,400 characters


def _everything(root: Path) -> set[str]:
    return {
        os.path.relpath(os.path.join(here, n), root)
        for here, dirs, files in os.walk(root)
        for n in dirs + files
    }


def _make_source(src: Path, names: list[str]) -> None:
    for n, name in enumerate(names):
        folder = src / f"d{n % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(name.encode("utf-8", "surrogateescape"))
    deep = src / LONG_PATH
    deep.parent.mkdir(parents=True)
    deep.write_text("deep")


def test_a_mirror_of_hostile_names_copies_them_all_and_writes_nowhere_else(
    tmp_path: Path, folders: Folders
) -> None:
    src, replica = tmp_path / "src", tmp_path / "replica"
    _make_source(src, HOSTILE_NAMES)
    outside = _everything(tmp_path) - {
        p for p in _everything(tmp_path) if p.startswith(("src", "rearguard-home"))
    }
    spec = MirrorProfile.model_validate(
        {"kind": "mirror", "mirror": {"source": str(src), "replica": str(replica)}}
    )
    outcome = run_profile(Profile("hostile", spec), folders)
    scale.count("inputs.hostile_file_names", len(HOSTILE_NAMES) + 1)
    assert outcome.exit_code == 0, outcome.report.as_json() if outcome.report else outcome
    assert real_files(replica) == real_files(src)
    created = _everything(tmp_path) - outside
    assert all(p.startswith(("src", "replica", "rearguard-home")) for p in created), sorted(created)[:5]


def test_an_upload_of_hostile_names_stays_inside_the_remote(
    tmp_path: Path, folders: Folders, rclone_env: None
) -> None:
    src, remote = tmp_path / "src", tmp_path / "remote"
    _make_source(src, HOSTILE_NAMES)
    before = _everything(tmp_path)
    spec = RcloneProfile.model_validate(
        {"kind": "rclone", "rclone": {"source": str(src), "remote": str(remote), "include_hidden": True}}
    )
    outcome = run_profile(Profile("hostile", spec), folders)
    scale.count("inputs.hostile_file_names", len(HOSTILE_NAMES) + 1)
    report = outcome.report
    assert report is not None and outcome.exit_code == 0, report
    left_out = {i.path.rsplit("/", 1)[-1]: i.message for i in report.items if i.status == "skipped"}
    unsendable = {"new\nline", os.fsdecode(b"bytes\xff\xfe"), "a\x01b", "tab\tname", "bell\x07"}
    assert set(left_out) == unsendable, left_out
    assert all(left_out.values())
    uploaded = real_files(remote, temp=lambda _n: False)
    expected = {k: v for k, v in real_files(src).items() if k.rsplit("/", 1)[-1] not in left_out}
    assert uploaded == expected
    created = _everything(tmp_path) - before
    assert all(p.startswith(("remote", "rearguard-home")) for p in created), sorted(created)[:5]


# Mostly ordinary names with the hostile ones mixed in, so that many paths are accepted and the
# accepted ones are what the property is about.
_PLAIN = st.text("abcXYZ\u00fc\u00e9-_.() 0123", min_size=1, max_size=10)
_HOSTILE = st.sampled_from(["..", ".", "", " ", "...", ". .", "CON", "nul", "a.", "b ", "C:", "\\\\srv", "~"])
SEGMENTS = st.one_of(_PLAIN, _HOSTILE, st.text(st.characters(blacklist_categories=("Cs",)), max_size=12))
_ANY_PATH = st.tuples(
    st.sampled_from(["", "\\", "/", "C:\\", "c:", "\\\\nas\\", "//nas/", "\\\\?\\", "\\\\.\\"]),
    st.lists(SEGMENTS, min_size=1, max_size=6),
    st.sampled_from(["\\", "/"]),
    st.sampled_from([".rvt", ".RVT", ".rvt.", ".rvt ", "", ".rfa", ".rvt\x00"]),
).map(lambda t: t[0] + t[2].join(t[1]) + t[3])
_NEARLY_PLAIN = st.lists(st.one_of(_PLAIN, _PLAIN, _PLAIN, _PLAIN, _HOSTILE), min_size=1, max_size=6).map(
    lambda parts: "\\".join(parts) + ".rvt"
)
RAW_MODEL_PATHS = st.one_of(_NEARLY_PLAIN, _NEARLY_PLAIN, _ANY_PATH)


@settings(max_examples=scale.pick(1000, 10000), deadline=None)
@given(raw=RAW_MODEL_PATHS | st.text(max_size=60))
def test_no_model_path_from_the_table_can_leave_the_dated_export_folder(raw: str) -> None:
    scale.count("inputs.hostile_model_paths")
    model = classify(raw)
    if not isinstance(model, ModelPath):
        return
    scale.count("checked.hostile_model_paths_accepted")
    day = os.path.join(os.sep + "target", "2024-11-12")
    here = os.path.normpath(export_destination(os.sep + "target", "2024-11-12", model))
    assert os.path.commonpath([day, here]) == day and here != day
    win_day = PureWindowsPath(r"\\nas\revit\2024-11-12")
    win = PureWindowsPath(export_destination(r"\\nas\revit", "2024-11-12", model, "win32"))
    assert win.parents and win_day in win.parents and ".." not in win.parts
    assert all(part == part.rstrip(" .") and part for part in model.out_parts)


@settings(max_examples=scale.pick(1000, 10000), deadline=None)
@given(raw=st.text(max_size=80) | RAW_MODEL_PATHS)
def test_join_inside_never_leaves_its_root(raw: str) -> None:
    scale.count("inputs.hostile_relative_paths")
    root = Path("/srv/root")
    try:
        joined = join_inside(root, raw)
    except (UnsafePath, ValueError):
        return
    assert os.path.commonpath([root, os.path.abspath(joined)]) == str(root)


HOSTILE_ROWS = [
    r"..\..\Windows\evil.rvt",
    r"Office\..\..\up.rvt",
    "C:\\Temp\\abs.rvt",
    "c:rel.rvt",
    r"\\server\share\x.rvt",
    "/etc/passwd.rvt",
    r"Office\CON.rvt",
    r"Office\nul\model.rvt",
    "Office\\a\x01b.rvt",
    "Office\\" + "m" * 240 + ".rvt",
    r"Office\dots...\model.rvt",
    "Office\\space \\model.rvt",
    r"Office\a:b.rvt",
    r"Office\good.rvt",
]


@settings(
    max_examples=scale.pick(3, 20),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(st.sampled_from(HOSTILE_ROWS) | RAW_MODEL_PATHS, min_size=1, max_size=8))
def test_a_revit_run_over_a_hostile_model_table_writes_only_below_its_target(
    rows: list[str], tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REARGUARD_CONSOLE_CODEPAGE", "850")
    base = tmp_path_factory.mktemp("hostile-revit")
    monkeypatch.setenv("REARGUARD_HOME", str(base / "home"))
    rows = [r.replace("\x00", "") for r in rows] + [r"Office\good.rvt"]
    server = build_server(base / "server", [FakeModel(r, timedelta(hours=1)) for r in rows])
    tool = make_tool(base / "bin", server)
    target = base / "exports" / "target"
    target.parent.mkdir()
    values = {"server": "RS", "projects_dir": str(server.projects), "tool": str(tool), "target": str(target)}
    profile = parse_profile_text(tomli_w.dumps({"kind": "revit", "revit": values}), "hostile")
    before = _everything(base)
    outcome = run_profile(
        profile,
        Folders(base / "home" / "p", base / "home" / "d", base / "home" / "l"),
        clock=lambda: DEFAULT_NOW,
    )
    scale.count("inputs.hostile_model_rows", len(rows))
    assert outcome.exit_code in (0, 1), outcome.report.reason if outcome.report else outcome
    created = _everything(base) - before
    allowed = ("home", "server", os.path.join("exports", "target"))
    assert all(p.startswith(allowed) for p in created), sorted(
        p for p in created if not p.startswith(allowed)
    )
    assert (target / DEFAULT_NOW.strftime("%Y-%m-%d") / "Office" / "good.rvt").is_file()
