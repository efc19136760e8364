"""A small run of the responsiveness benchmark, so it cannot rot (numbers printed, not asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_responsiveness_benchmark_runs_and_reports(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "tests/benchmarks/bench_gui.py", "--files", "1500", "--work", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    print(done.stdout)
    assert "longest event-loop stall" in done.stdout and "ratio window / engine" in done.stdout
