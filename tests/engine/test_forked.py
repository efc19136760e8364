"""Forked walk workers: results in order, a lost worker reported, and none outliving its parent."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.files.forked import WorkerLost, deal, forked_map, spread, worker_count

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the forked walk is Linux only")
ROOT = Path(__file__).resolve().parents[2]


def _square(share: list[int]) -> list[int]:  # module level: workers get it by name
    return [n * n for n in share]


def _killed(share: list[int]) -> list[int]:
    os.kill(os.getpid(), signal.SIGKILL)
    return share


def test_results_come_in_the_order_of_the_shares() -> None:
    shares = deal(list(range(50)), 2)
    assert len(shares) > 2 and [n for share in shares for n in share] == list(range(50))
    with forked_map(_square, shares, 2) as results:
        assert [n for part in results for n in part] == [n * n for n in range(50)]


def test_the_parent_s_objects_are_frozen_for_the_fork_only() -> None:
    if gc.get_freeze_count() == 0:  # (another test in this process may have frozen some)
        with forked_map(_square, deal(list(range(20)), 2), 2) as results:
            assert gc.get_freeze_count() == 0  # thawed once the workers are forked
            list(results)
    gc.freeze()  # as the window does for a run's objects: a walk must not thaw them
    try:
        with forked_map(_square, deal(list(range(20)), 2), 2) as results:
            list(results)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_a_worker_killed_is_reported_not_waited_for() -> None:
    started = time.monotonic()
    with pytest.raises(WorkerLost), forked_map(_killed, deal(list(range(20)), 2), 2) as results:
        list(results)
    assert time.monotonic() - started < 30


# A parent that forks two workers busy for a minute, says their process ids, and waits.
_PARENT = """
import os, sys, time
sys.path.insert(0, {root!r})
from engine.files.forked import forked_map
from tests.engine.test_forked import _busy, _children
with forked_map(_busy, [[1], [2]], 2) as results:
    time.sleep(1.0)
    print(" ".join(str(pid) for pid in _children()), flush=True)
    list(results)
"""


def _busy(share: list[int]) -> list[int]:
    time.sleep(60)
    return share


def test_workers_end_with_a_parent_killed_outright(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(_PARENT.format(root=str(ROOT)), encoding="utf-8")
    parent = subprocess.Popen([sys.executable, str(script)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(_alive(pid) for pid in workers)
        parent.kill()  # kill -9: no handler, no clean-up in the parent
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in workers)  # before, they waited for work forever
    finally:
        parent.kill()


def _children() -> list[int]:
    """This process's children, from /proc."""
    mine = str(os.getpid())
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if stat.rsplit(")", 1)[1].split()[1] == mine:
                out.append(int(entry))
    return out


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_process_held_to_one_core_walks_in_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert worker_count() == 1 and worker_count(3) == 3
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)))
    assert worker_count() == 4


def test_spread_deals_neighbours_to_different_shares() -> None:
    sizes = [40, 38, 35, 5, 4, 3, 2, 1, 1, 1, 1, 1]  # a big folder's subfolders come side by side
    shares = spread(list(range(len(sizes))), 2, per_worker=2)
    assert sorted(n for share in shares for n in share) == list(range(len(sizes)))
    assert [len(share) for share in shares] == [3, 3, 3, 3]
    assert max(sum(sizes[n] for n in share) for share in shares) == 45  # contiguous slices: 113
    assert spread([1, 2], 4) == [[1], [2]]
