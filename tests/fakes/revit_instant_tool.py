"""Measuring the revit kind's own overhead: an in-process tool that takes no time, and a timer.

``measure_overhead`` runs a profile over ``rows`` models with ``run_process`` replaced by a function
that writes a good ``.rvt`` at once, so what remains of the wall time is Rearguard's: reading the
table and every model's history, planning, bookkeeping, verifying, the state database, retention.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from engine.core.folders import Folders
from engine.core.profiles import parse_profile_text
from engine.core.runner import run_profile
from engine.jobs.revit import export
from engine.tools.process import ProcessResult
from tests.fakes.cfb_writer import revit_model
from tests.fakes.revit_server import DEFAULT_NOW, FakeModel, build_server

PAYLOAD = revit_model(4)  # a real, minimal .rvt (OLE2 compound file), as the fake tool writes


@dataclass
class Overhead:
    rows: int
    exported: int
    total: float  # seconds, the whole run
    tool: float  # seconds spent inside the (instant) tool
    reference: float  # seconds for the bare I/O a minimal script would do for the same models

    @property
    def overhead(self) -> float:
        return self.total - self.tool

    def line(self) -> str:
        ratio = self.overhead / self.reference if self.reference else float("inf")
        return (
            f"revit overhead for {self.rows} table rows ({self.exported} exported): "
            f"{self.overhead:.3f}s ({1000 * self.overhead / self.rows:.2f} ms/row); "
            f"bare I/O reference {self.reference:.3f}s; ratio {ratio:.1f}x"
        )


class InstantTool:
    """Stands in for ``run_process``: writes the ``-d`` file and returns exit 0 immediately."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def __call__(self, argv: Sequence[str], **_: Any) -> ProcessResult:
        started = time.perf_counter()
        with open(argv[list(argv).index("-d") + 1], "wb") as handle:
            handle.write(PAYLOAD)
        self.calls += 1
        self.seconds += time.perf_counter() - started
        return ProcessResult(argv=list(argv), returncode=0, stdout="Opération réussie.")


@contextmanager
def instant_tool(monkeypatch: pytest.MonkeyPatch) -> Iterator[InstantTool]:
    tool = InstantTool()
    monkeypatch.setattr(export, "run_process", tool)
    yield tool


def model_rows(count: int) -> list[FakeModel]:
    """``count`` models spread over project folders, all edited inside a 24 h window."""
    return [
        FakeModel(
            f"Project {n % 25:02d}\\Building {n % 7}\\Model_{n:04d}.rvt", timedelta(minutes=5 + n % 600)
        )
        for n in range(count)
    ]


def _reference_io(projects: Path, rows: list[FakeModel], out: Path) -> float:
    started = time.perf_counter()
    for row in rows:
        parts = row.path.split("\\")
        db = projects.joinpath(*parts, "Data", "Model.db3")
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        conn.execute("SELECT MAX(Time) FROM ModelHistory").fetchone()
        conn.close()
        target = out.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(PAYLOAD)
        with open(target, "rb") as handle:
            handle.read(8)
    return time.perf_counter() - started


def measure_overhead(tmp: Path, folders: Folders, monkeypatch: pytest.MonkeyPatch, count: int) -> Overhead:
    rows = model_rows(count)
    tmp.mkdir(parents=True, exist_ok=True)
    server = build_server(tmp / "server", rows)
    tool_file = tmp / "RevitServerTool"
    tool_file.write_text("#!/bin/sh\nexit 0\n")
    tool_file.chmod(0o755)
    text = tomli_w.dumps(
        {
            "kind": "revit",
            "revit": {
                "server": "RS01",
                "projects_dir": str(server.projects),
                "tool": str(tool_file),
                "target": str(tmp / "target"),
                "window_hours": 24,
                "timeout": "1h",
            },
        }
    )
    profile = parse_profile_text(text, "overhead")
    with instant_tool(monkeypatch) as tool:
        started = time.perf_counter()
        outcome = run_profile(profile, folders, clock=lambda: DEFAULT_NOW)
        total = time.perf_counter() - started
    assert outcome.exit_code == 0, outcome.report and outcome.report.as_json()
    assert tool.calls == count
    reference = _reference_io(server.projects, rows, tmp / "reference")
    exported = sum(len(files) for _here, _dirs, files in os.walk(tmp / "target"))
    return Overhead(count, exported, total, tool.seconds, reference)
