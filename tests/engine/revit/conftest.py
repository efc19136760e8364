"""A fake Revit Server, the fake tool, a target folder and a helper that runs the revit kind."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from engine.core.events import Event
from engine.core.folders import Folders, app_folders
from engine.core.profiles import Profile, parse_profile_text
from engine.core.runner import RunOutcome, run_profile
from tests.fakes.revit_server import (
    DEFAULT_NOW,
    FakeModel,
    FakeServer,
    build_server,
    fixture_rows,
    make_tool,
)

FIXED_NOW = DEFAULT_NOW
DAY = "2024-11-12"


@pytest.fixture(autouse=True)
def _oem_codepage(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake tool writes cp850, like the real one in a Western-European console."""
    monkeypatch.setenv("REARGUARD_CONSOLE_CODEPAGE", "850")


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass
class RevitWorld:
    tmp: Path
    server: FakeServer
    tool: Path
    target: Path
    folders: Folders
    settings: dict[str, Any] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    def profile(self, **overrides: Any) -> Profile:
        """A profile written as TOML text and loaded like a user's file."""
        values: dict[str, Any] = {
            "server": "RS01",
            "projects_dir": str(self.server.projects),
            "tool": str(self.tool),
            "target": str(self.target),
            "window_hours": 24,
            "timeout": "20s",
            "keep_days": 30,
        }
        values.update(self.settings)
        values.update(overrides)
        text = tomli_w.dumps({"kind": "revit", "revit": values})
        return parse_profile_text(text, "revit-test")

    def run(
        self,
        *,
        dry_run: bool = False,
        now: datetime = FIXED_NOW,
        cancel: threading.Event | None = None,
        **overrides: Any,
    ) -> RunOutcome:
        return run_profile(
            self.profile(**overrides),
            self.folders,
            dry_run=dry_run,
            reporter=self.events.append,
            cancel=cancel,
            clock=lambda: now,
        )

    def files(self) -> list[str]:
        """Every file under the target, relative, with ``/``."""
        found = []
        for here, _dirs, names in os.walk(self.target):
            for name in names:
                found.append(os.path.relpath(os.path.join(here, name), self.target).replace(os.sep, "/"))
        return sorted(found)

    def log_text(self) -> str:
        folder = self.folders.profile_logs("revit-test")
        return "".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("LOG-*.txt")))


World = Callable[..., RevitWorld]


@pytest.fixture
def folders(home: Path) -> Folders:
    return app_folders().create()


@pytest.fixture
def world(tmp_path: Path, folders: Folders) -> Iterator[World]:
    """``world(rows=..., scenarios=...)``: a fake server with the fixture rows by default."""
    made: list[RevitWorld] = []

    def make(
        rows: Iterable[FakeModel] | None = None, now: datetime = FIXED_NOW, **settings: Any
    ) -> RevitWorld:
        root = tmp_path / f"server{len(made)}"
        server = build_server(root, fixture_rows() if rows is None else rows, now)
        tool = make_tool(tmp_path / "bin", server)
        target = tmp_path / "target"
        item = RevitWorld(tmp_path, server, tool, target, folders, settings)
        made.append(item)
        return item

    yield make
    for item in made:  # never leave a hung fake (or its child) behind
        for pid in item.server.hang_pids():
            if pid_alive(pid):
                os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))


def items_by_path(outcome: RunOutcome) -> dict[str, list[dict[str, Any]]]:
    assert outcome.report is not None
    out: dict[str, list[dict[str, Any]]] = {}
    for item in outcome.report.as_json()["items"]:
        out.setdefault(item["path"], []).append(item)
    return out


def only_item(outcome: RunOutcome, path: str) -> dict[str, Any]:
    items = items_by_path(outcome)[path]
    assert len(items) == 1, items
    return items[0]
