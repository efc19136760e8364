"""``rearguard verify`` on a revit profile: each model's newest export read back as a compound file.

A good header proves little: a file whose FAT or directory is destroyed, that was cut short, or that
has no ``BasicFileInfo`` is found, with a message naming the file and what is wrong. Exports are
made by the fake RevitServerTool (real, minimal OLE2 files) and damaged here on purpose.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from engine.core.context import RunContext
from engine.core.readback import SLICES, ReadBack, Sample
from engine.core.runner import RunOutcome, verify_profile
from engine.core.state import StateDB
from engine.jobs import revit
from tests.engine.revit.conftest import DAY, FIXED_NOW, RevitWorld, World
from tests.fakes.cfb_writer import compound_file, payload, revit_model
from tests.fakes.revit_server import FakeModel, build_server, make_tool

MODEL = r"Office\Tower A\Model.rvt"
OTHER = r"Office\Other.rvt"
FILE = f"{DAY}/Office/Tower A/Model.rvt"
NEXT_DAY = "2024-11-13"
REPO = Path(__file__).resolve().parents[3]


def _exported(world: World, *rows: str, **settings: Any) -> RevitWorld:
    w = world(rows=[FakeModel(r) for r in rows or (MODEL, OTHER)], **settings)
    outcome = w.run()
    assert outcome.exit_code == 0, outcome.report and outcome.report.as_json()
    return w


def _verify(w: RevitWorld, *, full: bool = True, repair: bool = False) -> RunOutcome:
    return verify_profile(w.profile(), w.folders, full=full, repair=repair, clock=lambda: FIXED_NOW)


def _quick(w: RevitWorld) -> ReadBack:
    """A sample read-back of every model without ``full`` (what a rotation reads, all slices due)."""
    state = StateDB(w.folders.state_db)
    try:
        ctx = RunContext(profile=w.profile(), folders=w.folders, state=state, started=FIXED_NOW)
        return revit.read_back(ctx, Sample(slices=frozenset(range(SLICES))), None, False)
    finally:
        state.close()


def _items(outcome: RunOutcome) -> dict[str, dict[str, Any]]:
    assert outcome.report is not None
    items = outcome.report.as_json()["items"]
    assert len({i["path"] for i in items}) == len(items)
    return {i["path"]: i for i in items}


def _check(w: RevitWorld, full: bool) -> dict[str, tuple[str, str]]:
    """path -> (status, message) from a full verify, or from a quick read-back."""
    if full:
        return {p: (i["status"], i["message"]) for p, i in _items(_verify(w)).items()}
    return {i.path: (i.status, i.message) for i in _quick(w).items}


def _header(path: Path) -> tuple[int, int]:
    """(first FAT sector, first directory sector) from a compound file's header."""
    head = path.read_bytes()[:512]
    return struct.unpack_from("<I", head, 76)[0], struct.unpack_from("<I", head, 48)[0]


def _overwrite_sector(path: Path, sector: int, fill: bytes) -> None:
    data = bytearray(path.read_bytes())
    data[(sector + 1) * 512 : (sector + 2) * 512] = (fill * 512)[:512]
    path.write_bytes(bytes(data))


def test_good_exports_pass_with_the_revit_release_in_the_message(world: World) -> None:
    w = _exported(world)
    outcome = _verify(w)

    assert outcome.exit_code == 0
    items = _items(outcome)
    assert set(items) == {MODEL, OTHER}  # named as the run names them
    for item in items.values():
        assert item["action"] == "verify" and item["status"] == "done"
        assert "Autodesk Revit 2024 (Build: 20230308_1635(x64))" in item["message"]
        assert "all 7 streams read" in item["message"]
    assert outcome.report is not None and outcome.report.readback is not None
    assert "all 2 files read back" in outcome.report.readback
    quick = _quick(w)
    assert quick.files == 2 and [i.status for i in quick.items] == ["done", "done"]
    assert all("structure and BasicFileInfo read" in i.message for i in quick.items)


@pytest.mark.parametrize("full", [True, False], ids=["full", "sample"])
@pytest.mark.parametrize(
    ("damage", "words"),
    [
        ("directory zeroed", "no root entry"),
        ("directory garbage", "directory"),
        ("FAT zeroed", "FAT"),
        ("FAT freed", "FAT"),
    ],
)
def test_a_good_header_over_a_destroyed_directory_or_fat_is_found(
    world: World, full: bool, damage: str, words: str
) -> None:
    w = _exported(world)
    path = w.target / FILE
    fat, directory = _header(path)
    fills = {
        "directory zeroed": (directory, b"\0"),
        "directory garbage": (directory, bytes(range(7, 256, 3))),
        "FAT zeroed": (fat, b"\0"),
        "FAT freed": (fat, b"\xff"),
    }
    _overwrite_sector(path, *fills[damage])
    assert path.read_bytes()[:8] == bytes.fromhex("D0CF11E0A1B11AE1")  # the header still looks good

    found = _check(w, full)
    status, message = found[MODEL]
    assert status == "failed"
    assert words in message and str(path) in message
    assert found[OTHER][0] == "done"


@pytest.mark.parametrize("full", [True, False], ids=["full", "sample"])
def test_a_header_only_export_is_found(world: World, full: bool) -> None:
    w = _exported(world)
    path = w.target / FILE
    for size in (512, 8):
        path.write_bytes(path.read_bytes()[:size])
        status, message = _check(w, full)[MODEL]
        assert status == "failed" and str(path) in message
        assert f"only {size} bytes" in message and "incomplete" in message


@pytest.mark.parametrize("full", [True, False], ids=["full", "sample"])
def test_an_export_cut_in_half_is_found(world: World, full: bool) -> None:
    w = _exported(world)
    path = w.target / FILE
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])

    status, message = _check(w, full)[MODEL]
    assert status == "failed"
    assert "truncated" in message and str(path) in message


@pytest.mark.parametrize("full", [True, False], ids=["full", "sample"])
def test_an_export_without_basic_file_info_is_found(world: World, full: bool) -> None:
    w = _exported(world)
    path = w.target / FILE
    path.write_bytes(compound_file({"Contents": payload(20_000), "Global/Latest": payload(300)}))

    status, message = _check(w, full)[MODEL]
    assert status == "failed"
    assert "BasicFileInfo stream is missing" in message and str(path) in message


def test_an_empty_export_is_found(world: World) -> None:
    w = _exported(world)
    (w.target / FILE).write_bytes(b"")
    status, message = _check(w, True)[MODEL]
    assert status == "failed" and "empty" in message


@pytest.mark.parametrize("full", [True, False], ids=["full", "sample"])
def test_an_export_short_of_its_last_bytes_is_found(world: World, full: bool) -> None:
    """A sample reads only BasicFileInfo, yet the FAT tells where every stream ends: checked too."""
    w = _exported(world)
    path = w.target / FILE
    # The last stream (Global/Latest, 5000 bytes) fills 392 bytes of its last sector: 180 go.
    path.write_bytes(path.read_bytes()[:-300])

    status, message = _check(w, full)[MODEL]
    assert status == "failed" and "truncated" in message


def test_the_newest_of_two_dated_copies_is_the_one_checked(world: World) -> None:
    w = _exported(world, MODEL, window_hours=0)
    assert w.run(now=FIXED_NOW + timedelta(days=1)).exit_code == 0
    older, newer = w.target / FILE, w.target / NEXT_DAY / "Office/Tower A/Model.rvt"
    assert older.is_file() and newer.is_file()

    older.write_bytes(older.read_bytes()[:512])  # an old copy's damage is not this model's state
    outcome = _verify(w)
    assert outcome.exit_code == 0
    assert f"{NEXT_DAY}/Office/Tower A/Model.rvt" in _items(outcome)[MODEL]["message"]

    newer.write_bytes(newer.read_bytes()[:512])
    outcome = _verify(w)
    assert outcome.exit_code == 1
    assert str(newer) in _items(outcome)[MODEL]["message"]


def test_an_export_below_half_the_previous_one_is_a_difference(world: World) -> None:
    w = _exported(world, MODEL)
    (w.target / FILE).write_bytes(revit_model(64))
    smaller = w.target / NEXT_DAY / "Office/Tower A/Model.rvt"
    smaller.parent.mkdir(parents=True)
    smaller.write_bytes(revit_model(8))

    outcome = _verify(w)
    assert outcome.exit_code == 1
    item = _items(outcome)[MODEL]
    assert item["status"] == "failed"
    assert "less than half the previous export" in item["message"] and str(smaller) in item["message"]
    assert DAY in item["message"]


def test_a_remembered_export_that_is_gone_is_a_difference(world: World) -> None:
    w = _exported(world)
    (w.target / FILE).unlink()

    outcome = _verify(w)
    assert outcome.exit_code == 1
    item = _items(outcome)[MODEL]
    assert item["status"] == "failed" and "missing" in item["message"]
    assert str(w.target / FILE) in item["message"]
    assert _items(outcome)[OTHER]["status"] == "done"


def test_repair_cannot_copy_again_but_queues_the_model_for_the_next_run(world: World) -> None:
    w = _exported(world)
    path = w.target / FILE
    path.write_bytes(path.read_bytes()[:512])

    outcome = _verify(w, repair=True)
    assert outcome.exit_code == 1  # still damaged: nothing was copied
    item = _items(outcome)[MODEL]
    assert item["status"] == "failed"
    assert "run the profile again to export it anew" in item["message"]
    assert "Revit Server" in item["message"]
    assert _items(outcome)[OTHER]["status"] == "done"
    # Three days on, the model is far outside the 24 h window: it is exported all the same.
    later = FIXED_NOW + timedelta(days=3)
    preview = w.run(dry_run=True, now=later)
    assert preview.plan is not None
    assert [a.path for a in preview.plan.actions] == [MODEL]
    assert "failed a read-back" in dict(preview.plan.actions[0].detail)["reason"]
    assert w.run(now=later).exit_code == 0
    assert _verify(w).exit_code == 0


def test_verify_without_repair_queues_nothing(world: World) -> None:
    w = _exported(world)
    path = w.target / FILE
    path.write_bytes(path.read_bytes()[:512])
    assert _verify(w).exit_code == 1
    preview = w.run(dry_run=True, now=FIXED_NOW + timedelta(days=3))
    assert preview.plan is not None and preview.plan.actions == ()


def test_a_target_that_is_not_there_is_unavailable(world: World) -> None:
    w = _exported(world)
    w.target.rename(w.target.with_name("elsewhere"))
    outcome = _verify(w)
    assert outcome.exit_code == 5
    assert outcome.report is not None and "cannot be reached" in (outcome.report.reason or "")


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        REARGUARD_HOME=str(home),
        REARGUARD_CONSOLE_CODEPAGE="850",
        PYTHONIOENCODING="utf-8",
    )
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


@pytest.mark.skipif(sys.platform == "win32", reason="the fake tool's sh wrapper")
def test_rearguard_verify_exits_0_when_clean_and_1_with_damage(tmp_path: Path) -> None:
    server = build_server(tmp_path / "server", [FakeModel(MODEL), FakeModel(OTHER)], datetime.now(UTC))
    settings = {
        "server": "RS01",
        "projects_dir": str(server.projects),
        "tool": str(make_tool(tmp_path / "bin", server)),
        "target": str(tmp_path / "target"),
        "window_hours": 24,
        "timeout": "30s",
    }
    home = tmp_path / "home"
    (home / "profiles").mkdir(parents=True)
    profile = tomli_w.dumps({"kind": "revit", "revit": settings})
    (home / "profiles" / "office.toml").write_text(profile, encoding="utf-8")
    run = _cli(home, "run", "office")
    assert run.returncode == 0, run.stdout + run.stderr

    clean = _cli(home, "verify", "office", "--full")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    sample = _cli(home, "verify", "office")
    assert sample.returncode == 0, sample.stdout + sample.stderr

    (exported,) = (tmp_path / "target").glob("*/Office/Tower A/Model.rvt")
    data = exported.read_bytes()
    exported.write_bytes(data[: len(data) // 2])
    damaged = _cli(home, "verify", "office", "--full", "--json")
    assert damaged.returncode == 1, damaged.stdout + damaged.stderr
    report = json.loads(damaged.stdout)
    by_path = {i["path"]: i for i in report["items"]}
    assert by_path[MODEL]["status"] == "failed" and "truncated" in by_path[MODEL]["message"]
    assert by_path[OTHER]["status"] == "done" and "Autodesk Revit 2024" in by_path[OTHER]["message"]
