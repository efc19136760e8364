"""The bandwidth-limit benchmark: a small run in every test run, the full line in ``make bench``."""

from __future__ import annotations

import pytest

from tests.benchmarks import bench_bwlimit


def test_bwlimit_benchmark_runs_and_reports_the_rate(capsys: pytest.CaptureFixture[str]) -> None:
    bench_bwlimit.main(["--mib", "2", "--limit", "8M"])  # a quarter second each: the line, not the rate
    out = capsys.readouterr().out
    assert "bwlimit mirror 2 MiB in" in out and "bwlimit rclone 2 MiB in" in out
    assert "against a limit of 8 MiB/s" in out


@pytest.mark.bench
def test_bwlimit_benchmark_full_size(request: pytest.FixtureRequest) -> None:
    """``make bench``: 32 MiB at 8 MiB/s through each kind, within 25 % of the limit."""
    if "bench" not in str(request.config.getoption("markexpr") or ""):
        pytest.skip("full-size benchmark: run `make bench` or `pytest -m bench`")
    assert bench_bwlimit.main(["--mib", "32", "--limit", "8M"]) == 0
