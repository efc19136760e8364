"""The rclone benchmark: a small version in every test run (no time asserts), the full one on demand."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.benchmarks import bench_rclone


def test_rclone_benchmark_runs_and_reports_ratios(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--files", "300", "--changes", "1,5", "--rounds", "1", "--work", str(tmp_path)]
    assert bench_rclone.main(argv) == 0
    out = capsys.readouterr().out
    assert "the dry run plans nothing and rclone check finds no difference" in out
    assert "ratio, 1 change(s): rclone sync / rearguard" in out
    assert "ratio, 5 change(s):" in out and "goal within 1.2x of the hand-made call" in out
    line = next(x for x in out.splitlines() if x.startswith("rclone 1 change in 300, sftp: Rearguard "))
    assert "rclone sync" in line and "(goal ≤ 0.5 s and ≥ 3× faster) -> " in line
    assert 'with verify = "copied"' in out


@pytest.mark.bench
@pytest.mark.timeout(1800)  # the seeding and 3 rounds at 100,000 files take minutes
def test_rclone_benchmark_full_size(request: pytest.FixtureRequest) -> None:
    """``pytest -m bench`` (or ``make bench``): 100,000 files unless BENCH_FILES says otherwise."""
    if "bench" not in str(request.config.getoption("markexpr") or ""):
        pytest.skip("full-size benchmark: run `make bench` or `pytest -m bench`")
    files = os.environ.get("BENCH_FILES", "100000")
    assert bench_rclone.main(["--files", files, "--changes", "1,200", "--rounds", "3"]) == 0
