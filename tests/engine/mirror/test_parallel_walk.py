"""The multi-core walk plans exactly what the single-core walk plans, parents first."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from engine.core.filters import PathFilter
from engine.jobs.mirror import parallel_walk
from engine.jobs.mirror.parallel_walk import compare_trees_fast
from engine.jobs.mirror.walk import compare_trees
from tests.engine.mirror.trees import make_tree


def test_parallel_walk_equals_single_walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {f"d{i % 9}/s{i % 5}/t{i % 3}/f{i}.txt": f"x{i}" for i in range(2500)}
    make_tree(tmp_path / "src", files, mtime=1_600_000_000)
    replica = {k: v for k, v in list(files.items())[::2]}
    replica.update({f"d{i % 9}/extra{i}.bin": "old" for i in range(40)})
    make_tree(tmp_path / "dst", replica, mtime=1_600_000_000)
    for i, rel in enumerate(list(files)[:400:14]):
        os.utime(tmp_path / "dst" / rel, (1_600_000_000 + i + 1, 1_600_000_000 + i + 1))
    if not sys.platform.startswith("linux"):
        pytest.skip("the multi-core walk forks; it is used on Linux only")
    # Other tests in this process (Qt) may have started threads; this test's walk is fork-safe.
    monkeypatch.setattr(parallel_walk, "fork_is_safe", lambda: True)
    single = compare_trees(str(tmp_path / "src"), str(tmp_path / "dst"), PathFilter())
    fast = compare_trees_fast(str(tmp_path / "src"), str(tmp_path / "dst"), PathFilter(), workers=2)
    assert sorted(single.copies, key=str) == sorted(fast.copies, key=str)
    assert sorted(single.deletes, key=str) == sorted(fast.deletes, key=str)
    assert (single.source_entries, single.replica_files, single.delete_files) == (
        fast.source_entries,
        fast.replica_files,
        fast.delete_files,
    )
    seen: set[str] = set()
    for action in fast.copies:
        parent = action.path.rpartition("/")[0]
        assert not parent or parent in seen or (tmp_path / "dst" / parent).is_dir()
        if action.is_dir:
            seen.add(action.path)


def test_big_no_change_run_through_the_cli_finishes(tmp_path: Path, home: Path) -> None:
    """The CLI's own SIGTERM handler must not keep the walk's worker processes alive."""
    import subprocess

    from tests.cli.conftest import ROOT

    files = {f"d{i % 30}/s{i % 7}/f{i}.txt": "x" for i in range(3000)}
    make_tree(tmp_path / "src", files, mtime=1_600_000_000)
    argv = [sys.executable, "-m", "engine", "mirror", str(tmp_path / "src"), str(tmp_path / "dst")]
    env = {**os.environ, "REARGUARD_HOME": str(home)}
    assert subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, timeout=60).returncode == 0
    again = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, timeout=60)
    assert again.returncode == 0


def _killed(pairs: list[object]) -> object:  # module level: workers get it by name
    os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
    return pairs


def test_a_worker_that_dies_leaves_the_walk_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the multi-core walk forks; it is used on Linux only")
    files = {f"d{i % 20}/s{i % 7}/f{i}.txt": f"x{i}" for i in range(600)}
    make_tree(tmp_path / "src", files, mtime=1_600_000_000)
    make_tree(tmp_path / "dst", dict(list(files.items())[::3]), mtime=1_600_000_000)
    monkeypatch.setattr(parallel_walk, "fork_is_safe", lambda: True)
    monkeypatch.setattr(parallel_walk, "_walk_share", _killed)
    single = compare_trees(str(tmp_path / "src"), str(tmp_path / "dst"), PathFilter())
    fast = compare_trees_fast(str(tmp_path / "src"), str(tmp_path / "dst"), PathFilter(), workers=2)
    assert fast.copies == single.copies and fast.deletes == single.deletes  # before, it waited forever
    assert "compared again in one process" in caplog.text
