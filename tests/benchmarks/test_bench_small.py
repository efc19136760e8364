"""A small version of the benchmarks runs in every test run, so they cannot rot (no time asserts)."""

from __future__ import annotations

from pathlib import Path

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
    assert "read-back sample: share of a no-change run" in out
