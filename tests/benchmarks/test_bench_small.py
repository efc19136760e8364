"""A small version of the benchmarks runs in every test run, so they cannot rot (no time asserts)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.benchmarks import bench_mirror


def test_mirror_benchmark_runs_and_reports_ratios(tmp_path: Path, capsys: object) -> None:
    assert (
        bench_mirror.main(
            ["--files", "300", "--large", "1", "--large-mib", "4", "--rounds", "1", "--work", str(tmp_path)]
        )
        == 0
    )
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "ratio initial copy / cp -a" in out and "large files: cp speed share" in out
    assert "read-back sample: share of a no-change run" in out and "(all outside the walk), median" in out
    assert "ratio no change, small tree / rsync -a --delete" in out or "rsync is not installed" in out
    assert "max RSS  nochange: rearguard" in out and "max RSS  initial copy: rearguard" in out
    goals = [line for line in out.splitlines() if line.lstrip().startswith("goal ")]
    assert len(goals) == len(bench_mirror.GOALS)
    assert all(line.endswith(("met", "NOT MET", "(not measured)")) for line in goals)
    assert any("max RSS MB, initial copy" in line and "< 60" in line for line in goals)


def test_peak_memory_is_the_one_command_s_own() -> None:
    """A command is not given the peak of an earlier, bigger one (RUSAGE_CHILDREN would) nor that
    of the big process it is started from (a peak carried over the exec on Linux)."""
    from tests.benchmarks import timing

    if not timing._gnu_time():
        pytest.skip("no GNU time here: the peak comes from os.wait4 and may include this process's")
    ballast = bytearray(200_000_000)  # this process is big while the commands start
    ballast[::4096] = b"1" * len(ballast[::4096])

    _, big = timing.timed_rss(
        [sys.executable, "-c", "x = bytearray(300_000_000); x[::4096] = b'1' * len(x[::4096])"]
    )
    _, small = timing.timed_rss([sys.executable, "-c", "pass"])
    assert big > 250 and small < big / 2, (big, small)
