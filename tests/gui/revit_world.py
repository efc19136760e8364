"""A Revit profile for window tests: the fake Revit Server and tool (tests/fakes), its models edited
relative to the real clock (a window run uses it), saved as a profile file like a user's."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import tomli_w

from engine.core.folders import Folders
from engine.core.profiles import profile_path
from tests.fakes.revit_server import FakeModel, FakeServer, build_server, make_tool

H = timedelta(hours=1)
# The run: 4 planned (one fails), 2 outside the window, 1 refused row.
STORY_ROWS = (
    FakeModel(r"Office\Tower A\Tower_A_ARCH.rvt", 1 * H),
    FakeModel(r"Office\Tower A\Tower_A_STR.rvt", 2 * H),
    FakeModel(r"Office\Tower B\Boundary.rvt", 3 * H),
    FakeModel(r"Office\Tower A\Tower_A_MEP.rvt", 1 * H, scenario="busy"),
    FakeModel(r"Office\Archive\Old_2019.rvt", 48 * H),
    FakeModel(r"Office\Archive\Older.rvt", 72 * H),
    FakeModel(r"..\..\Windows\evil.rvt", 1 * H),
)


def revit_profile(
    folders: Folders, tmp: Path, name: str = "Nightly Revit", rows: Iterable[FakeModel] = STORY_ROWS
) -> FakeServer:
    """Save a revit profile called ``name`` over a fake server holding ``rows``."""
    server = build_server(tmp / "server", rows, datetime.now(UTC))
    tool = make_tool(tmp / "bin", server)
    settings = {
        "server": "RS01",
        "projects_dir": str(server.projects),
        "tool": str(tool),
        "target": str(tmp / "exports"),
        "window_hours": 24,
        "timeout": "20s",
    }
    text = tomli_w.dumps({"kind": "revit", "revit": settings})
    folders.profiles.mkdir(parents=True, exist_ok=True)
    profile_path(folders, name).write_text(text, encoding="utf-8")
    return server
