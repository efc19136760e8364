"""The Revit tool hanging, crashing or lying, in one run among good exports.

Each bad export is failed with the tool's reason (a hung tool is stopped at the timeout with every
process it started); no file is left under a real name for it, a good export of the same day is
never replaced by a bad one, and the next run with a working tool exports what was missed.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import tomli_w

from engine.core.folders import Folders
from engine.core.profiles import parse_profile_text
from engine.core.runner import RunOutcome, run_profile
from tests.engine.revit.conftest import pid_alive
from tests.fakes.revit_server import DEFAULT_NOW, FakeModel, FakeServer, build_server, make_tool
from tests.reliability import scale

pytestmark = [pytest.mark.reliability, pytest.mark.skipif(sys.platform == "win32", reason="sh wrapper")]

DAY = DEFAULT_NOW.strftime("%Y-%m-%d")
BAD = {  # scenario -> words the report must carry
    "hang": "timeout",
    "crash": "interrupted",
    "partial_write": "write failed",
    "exit0_nofile": "no file was written",
    "zero_byte": "empty",
    "not_ole": "OLE2",
    "busy": "server busy",
}


def _run(server: FakeServer, tool: Path, target: Path, folders: Folders, parallel: int) -> RunOutcome:
    values = {
        "server": "RS01",
        "projects_dir": str(server.projects),
        "tool": str(tool),
        "target": str(target),
        "window_hours": 0,
        "timeout": "2s",
        "parallel": parallel,
    }
    profile = parse_profile_text(tomli_w.dumps({"kind": "revit", "revit": values}), "revit-faults")
    return run_profile(profile, folders, clock=lambda: DEFAULT_NOW)


def _exports(target: Path) -> dict[str, bytes]:
    """Every file under the target but its versions folder (earlier exports of a day, set aside)."""
    out = {}
    for here, dirs, names in os.walk(target):
        if Path(here) == target and ".rearguard" in dirs:
            dirs.remove(".rearguard")
        for name in names:
            path = Path(here) / name
            out[path.relative_to(target).as_posix()] = path.read_bytes()
    return out


@pytest.mark.parametrize("parallel", [1, 3])
def test_hanging_and_crashing_tools_fail_alone_and_the_next_run_exports_them(
    tmp_path: Path, folders: Folders, monkeypatch: pytest.MonkeyPatch, parallel: int
) -> None:
    monkeypatch.setenv("REARGUARD_CONSOLE_CODEPAGE", "850")
    scenarios = scale.pick(["hang", "crash"], list(BAD))
    rows = [FakeModel(rf"Office\Good {n}.rvt", timedelta(hours=1)) for n in range(3)]
    rows += [FakeModel(rf"Office\Bad {name}.rvt", timedelta(hours=1), scenario=name) for name in scenarios]
    server = build_server(tmp_path / "server", rows)
    tool = make_tool(tmp_path / "bin", server)
    target = tmp_path / "target"
    try:
        # First a day on which every model exported well: a later bad export must not replace it.
        server.set_scenarios({})
        assert _run(server, tool, target, folders, parallel).exit_code == 0
        before = _exports(target)
        server.set_scenarios({row.path: row.scenario for row in rows if row.scenario != "ok"})
        started = time.monotonic()
        outcome = _run(server, tool, target, folders, parallel)
        assert time.monotonic() - started < 2 * len(scenarios) + 20, "a hung tool was not stopped in time"
        report = outcome.report
        assert report is not None and outcome.exit_code == 1
        scale.count("faults.revit_tool", len(scenarios))
        failed = {f.path: f.message for f in report.failures}
        for name in scenarios:
            message = failed.pop(rf"Office\Bad {name}.rvt")
            assert BAD[name] in message, (name, message)
        assert failed == {}
        assert _exports(target) == before, "a failed export replaced a good one, or left a file"
        kept = sorted(p.relative_to(target).parts[-1] for p in (target / ".rearguard").rglob("*.rvt"))
        assert kept == [f"Good {n}.rvt" for n in range(3)]  # the good ones exported again: earlier kept
        for pid in server.hang_pids():
            deadline = time.monotonic() + 5
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not pid_alive(pid), "a hung tool (or a process it started) was left running"
        server.set_scenarios({})
        again = _run(server, tool, target, folders, parallel)
        assert again.exit_code == 0
        assert sorted(_exports(target)) == sorted(f"{DAY}/Office/{row.path[7:]}" for row in rows)
    finally:
        for pid in server.hang_pids():
            if pid_alive(pid):
                os.kill(pid, 9)
