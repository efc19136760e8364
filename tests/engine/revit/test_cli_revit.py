"""``python -m engine run PROFILE [--dry-run] [--json]`` for a revit profile, as a user runs it.

The CLI uses the real clock, so the fake server is built relative to the real "now"; the exact
window boundary is tested with the fixed clock elsewhere and left out here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from tests.fakes.revit_server import FakeModel, FakeServer, build_server, fixture_rows, make_tool

REPO = Path(__file__).resolve().parents[3]
ROWS = [row for n, row in enumerate(fixture_rows(), start=1) if n != 5]  # no exact boundary
EXPORTED = list(
    dict.fromkeys(
        r.path
        for r in ROWS
        if r.path
        in {
            r"Office\Tower A\Tower_A_ARCH.rvt",
            r"Office\Tower A\Tower_A_MEP.rvt",
            r"Office\Tower B\NoTime.rvt",
            r"Office\Tower B\EmptyHistory.rvt",
            r"Office\Tower B\NoDb.rvt",
            "Zürich Süd\\Überbauung Ost.rvt",
            r"A\B\C\D\E\F\Deep Model.rvt",
            r"Office\Tower C\UPPER.RVT",
            "Office\\Tower C\\Trailing .rvt ",
        }
    )
)


def _setup(tmp_path: Path, rows: list[FakeModel], **settings: Any) -> tuple[FakeServer, Path]:
    server = build_server(tmp_path / "server", rows, datetime.now(UTC))
    values: dict[str, Any] = {
        "server": "RS01",
        "projects_dir": str(server.projects),
        "tool": str(make_tool(tmp_path / "bin", server)),
        "target": str(tmp_path / "target"),
        "window_hours": 24,
        "timeout": "30s",
    }
    values.update(settings)
    profiles = tmp_path / "home" / "profiles"
    profiles.mkdir(parents=True)
    (profiles / "office.toml").write_text(tomli_w.dumps({"kind": "revit", "revit": values}), encoding="utf-8")
    return server, tmp_path / "target"


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        REARGUARD_HOME=str(tmp_path / "home"),
        REARGUARD_CONSOLE_CODEPAGE="850",
        PYTHONIOENCODING="utf-8",
    )
    return subprocess.run(
        [sys.executable, "-m", "engine", "run", "office", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def test_the_dry_run_json_is_the_preview_of_every_model(tmp_path: Path) -> None:
    server, target = _setup(tmp_path, ROWS)
    done = _cli(tmp_path, "--dry-run", "--json")

    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["profile"] == "office" and data["kind"] == "revit"
    assert [a["path"] for a in data["actions"]] == EXPORTED
    rows = data["actions"] + data["not_planned"]
    assert sorted(r["path"] for r in rows) == sorted(r.path for r in ROWS)
    for row in rows:
        assert {"action", "path", "bytes", "last_edit", "in_window", "reason"} <= set(row)
    outside = next(r for r in rows if r["path"] == r"Office\Tower A\Tower_A_STR.rvt")
    assert outside["in_window"] is False and "outside the 24h window" in outside["reason"]
    assert server.calls() == [] and not target.exists()


def test_a_run_with_a_missing_model_exits_1_with_each_reason_in_the_json_report(tmp_path: Path) -> None:
    server, target = _setup(tmp_path, ROWS)
    done = _cli(tmp_path, "--json")

    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "failed"
    assert report["counts"] == {
        "planned": 9,
        "done": 9,
        "skipped": 4,
        "failed": 3,
        "refused": 2,
        "looked_at": 16,
    }
    failures = {
        i["path"]: i["message"] for i in report["items"] if i["status"] != "done" and i["status"] != "skipped"
    }
    assert "model folder missing" in failures[r"Office\Gone\Missing.rvt"]
    assert "unsafe path" in failures[r"..\..\Windows\evil.rvt"]
    assert server.called_models() == EXPORTED
    days = {(datetime.now(UTC) + timedelta(minutes=m)).strftime("%Y-%m-%d") for m in (-5, 0)}
    assert {p.name for p in target.iterdir()} <= days
    assert "Traceback" not in done.stderr


def test_a_clean_run_exits_0(tmp_path: Path) -> None:
    _setup(tmp_path, [FakeModel(r"Office\A.rvt"), FakeModel(r"Office\B.rvt")])
    done = _cli(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 done" in done.stdout


@pytest.mark.parametrize(
    ("setting", "code", "says"),
    [
        ({"model_table": "{tmp}/nowhere/ModelLocationTable.db3"}, 2, "{tmp}/nowhere/ModelLocationTable.db3"),
        (
            {"tool": "{tmp}/no/RevitServerTool.exe"},
            5,
            "RevitServerTool not found: {tmp}/no/RevitServerTool.exe",
        ),
    ],
)
def test_bad_table_or_tool_end_with_their_exit_code_and_one_clear_line(
    tmp_path: Path, setting: dict[str, str], code: int, says: str
) -> None:
    _setup(tmp_path, ROWS, **{k: v.format(tmp=tmp_path) for k, v in setting.items()})
    done = _cli(tmp_path)

    assert done.returncode == code
    assert says.format(tmp=tmp_path) in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "nowhere").exists()
