"""A fake Revit Server Projects folder, and the wrapper that runs the fake RevitServerTool.

``build_server(root, rows, now)`` lays out what the engine reads on a real server::

    root/Projects/ModelLocationTable.db3       ModelStorageTable(GUID, NormalizedPath, ModelPath)
    root/Projects/<model path>/Data/Model.db3  ModelHistory(..., Time TEXT) "YYYY-MM-DD HH:MM:SSZ"
    root/scenarios.json                        model path -> scenario of the fake tool (default ok)
    root/calls.jsonl                           one JSON line per tool call (the tool writes it)

Folder and data-file times deliberately contradict the history (recently edited models get old
folder times, old models get fresh ones), so an engine that looked at mtimes would fail the tests.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sqlite3
import sys
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DEFAULT_NOW = datetime(2024, 11, 12, 18, 0, tzinfo=UTC)
TOOL_SCRIPT = Path(__file__).with_name("revitservertool.py")
ROOT_ENV = "FAKE_REVIT_ROOT"

# history kinds
OK = "ok"  # several history rows; the newest is `edited_ago` before now
NULL_TIME = "null_time"  # history rows whose Time is NULL
EMPTY = "empty"  # a ModelHistory table without rows
NO_DB = "no_db"  # the model folder exists, Data/Model.db3 does not
ABSENT = "absent"  # no model folder at all

Scenario = str | Mapping[str, Any]


@dataclass(frozen=True)
class FakeModel:
    """One row of the model table and what the server holds for it."""

    path: str
    edited_ago: timedelta = timedelta(hours=1)
    history: str = OK
    scenario: Scenario = "ok"


@dataclass(frozen=True)
class FakeServer:
    root: Path
    now: datetime

    @property
    def projects(self) -> Path:
        return self.root / "Projects"

    @property
    def table(self) -> Path:
        return self.projects / "ModelLocationTable.db3"

    @property
    def scenarios_file(self) -> Path:
        return self.root / "scenarios.json"

    @property
    def calls_file(self) -> Path:
        return self.root / "calls.jsonl"

    @property
    def hang_pids_file(self) -> Path:
        return self.root / "hang-pids.txt"

    def calls(self) -> list[dict[str, Any]]:
        """Every call the fake tool received, in order."""
        if not self.calls_file.exists():
            return []
        lines = self.calls_file.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def called_models(self) -> list[str]:
        return [call["model"] for call in self.calls()]

    def set_scenarios(self, scenarios: Mapping[str, Scenario]) -> None:
        self.scenarios_file.write_text(json.dumps(dict(scenarios), ensure_ascii=False), encoding="utf-8")

    def hang_pids(self) -> list[int]:
        """Pids of hung tools and the children they started."""
        if not self.hang_pids_file.exists():
            return []
        return [int(p) for p in self.hang_pids_file.read_text().split()]


def fixture_rows() -> list[FakeModel]:
    """The 17 rows of fake-revit.md section 3 (clock 2024-11-12T18:00:00Z, window 24 h)."""
    h = timedelta(hours=1)
    return [
        FakeModel(r"Office\Tower A\Tower_A_ARCH.rvt", 1 * h),  # 1
        FakeModel(r"Office\Tower A\Tower_A_STR.rvt", 25 * h),  # 2
        FakeModel(r"Office\Tower A\Tower_A_MEP.rvt", 23 * h + timedelta(minutes=59)),  # 3
        FakeModel(r"Office\Archive\Old_2019.rvt", timedelta(days=400)),  # 4
        FakeModel(r"Office\Tower B\Boundary.rvt", 24 * h),  # 5
        FakeModel(r"Office\Tower B\NoTime.rvt", history=NULL_TIME),  # 6
        FakeModel(r"Office\Tower B\EmptyHistory.rvt", history=EMPTY),  # 7
        FakeModel(r"Office\Tower B\NoDb.rvt", history=NO_DB),  # 8
        FakeModel(r"Office\Gone\Missing.rvt", history=ABSENT),  # 9
        FakeModel(r"Office\Tower A\Tower_A_ARCH.rvt", 1 * h),  # 10 duplicate of 1
        FakeModel("Zürich Süd\\Überbauung Ost.rvt", 2 * h),  # 11
        FakeModel(r"A\B\C\D\E\F\Deep Model.rvt", 3 * h),  # 12
        FakeModel(r"..\..\Windows\evil.rvt", 1 * h),  # 13
        FakeModel(r"C:\Temp\abs.rvt", 1 * h),  # 14
        FakeModel(r"Office\Tower C\UPPER.RVT", 5 * h),  # 15
        FakeModel(r"Office\Families\Door.rfa", 1 * h),  # 16
        FakeModel("Office\\Tower C\\Trailing .rvt ", 1 * h),  # 17
    ]


def history_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _unsafe(path: str) -> bool:
    parts = re.split(r"[\\/]", path)
    return path.startswith(("/", "\\")) or bool(re.match(r"^[A-Za-z]:", path)) or ".." in parts


def write_table(table: Path, paths: Iterable[str]) -> None:
    """A ModelLocationTable.db3 with one ModelStorageTable row per path, in order."""
    table.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(table)
    try:
        conn.execute(
            "CREATE TABLE ModelStorageTable (ModelIdentityGUID BLOB,"
            " ModelNormalizedPath TEXT, ModelPath TEXT)"
        )
        conn.executemany(
            "INSERT INTO ModelStorageTable VALUES (?, ?, ?)",
            [
                (uuid.uuid5(uuid.NAMESPACE_URL, f"{n}:{p}").bytes_le, p.upper(), p)
                for n, p in enumerate(paths)
            ],
        )
        conn.commit()
    finally:
        conn.close()


def write_history(db: Path, times: list[str | None], *, table: bool = True) -> None:
    db.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db)
    try:
        if table:
            conn.execute(
                "CREATE TABLE ModelHistory (Id INTEGER PRIMARY KEY, Version INTEGER,"
                " UserName TEXT, Time TEXT, Comment TEXT)"
            )
            conn.executemany(
                "INSERT INTO ModelHistory (Version, UserName, Time, Comment) VALUES (?, 'anna', ?, 'sync')",
                list(enumerate(times, start=1)),
            )
        conn.commit()
    finally:
        conn.close()


def _touch_tree(folder: Path, when: datetime) -> None:
    stamp = when.timestamp()
    for here, _dirs, files in os.walk(folder):
        for name in files:
            os.utime(os.path.join(here, name), (stamp, stamp))
    for here, _dirs, _files in sorted(os.walk(folder), key=lambda w: -len(w[0])):
        os.utime(here, (stamp, stamp))


def write_model(projects: Path, model: FakeModel, now: datetime) -> None:
    """The model's folder with Data/Model.db3 as ``model.history`` says."""
    if model.history == ABSENT or _unsafe(model.path):
        return
    folder = projects.joinpath(*[p for p in re.split(r"[\\/]", model.path) if p])
    if folder.exists():
        return
    data = folder / "Data"
    data.mkdir(parents=True)
    (data / "ModelState.dat").write_bytes(b"\0" * 64)
    newest = now - model.edited_ago
    if model.history == OK:
        write_history(
            data / "Model.db3",
            [
                history_time(newest - timedelta(days=2)),
                history_time(newest),
                history_time(newest - timedelta(days=30)),
            ],
        )
    elif model.history == NULL_TIME:
        write_history(data / "Model.db3", [None])
    elif model.history == EMPTY:
        write_history(data / "Model.db3", [])
    recently = model.edited_ago <= timedelta(hours=24)
    _touch_tree(folder, now - timedelta(days=400) if recently else now)


def build_server(root: Path, rows: Iterable[FakeModel], now: datetime = DEFAULT_NOW) -> FakeServer:
    """Lay out a fake Projects folder, model table and scenarios file under ``root``."""
    rows = list(rows)
    server = FakeServer(root, now)
    server.projects.mkdir(parents=True, exist_ok=True)
    write_table(server.table, [row.path for row in rows])
    for row in rows:
        write_model(server.projects, row, now)
    server.set_scenarios({row.path: row.scenario for row in rows if row.scenario != "ok"})
    return server


def make_tool(folder: Path, server: FakeServer, name: str = "RevitServerTool") -> Path:
    """A runnable fake RevitServerTool in ``folder`` bound to ``server`` (sh or .cmd wrapper).

    The wrapper runs ``tests/fakes/revitservertool.py`` with this Python, so it works from a
    virtual environment and whatever ``python3`` is on PATH.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if sys.platform == "win32":
        tool = folder / f"{name}.cmd"
        tool.write_text(
            f'@echo off\r\nset "{ROOT_ENV}={server.root}"\r\n'
            f'"{sys.executable}" "{TOOL_SCRIPT}" %*\r\nexit /b %ERRORLEVEL%\r\n',
            encoding="utf-8",
        )
        return tool
    tool = folder / name
    tool.write_text(
        f"#!/bin/sh\n{ROOT_ENV}={shlex.quote(str(server.root))}\nexport {ROOT_ENV}\n"
        f'exec {shlex.quote(sys.executable)} {shlex.quote(str(TOOL_SCRIPT))} "$@"\n',
        encoding="utf-8",
    )
    tool.chmod(0o755)
    return tool
