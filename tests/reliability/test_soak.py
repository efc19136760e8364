"""Soak: the repeat loop (``run PROFILE --every 15m --max N``) under a test-only clock that turns
15 minutes into a few milliseconds (REARGUARD_TEST_TIME_SCALE), while the source keeps changing.

Memory, open files and threads stay flat from the first tenth of the runs to the last; the log and
the state database grow by a small, steady amount per run, never faster as runs pile up.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from engine import cli
from engine.core.folders import Folders
from tests.reliability import scale
from tests.reliability.procs import ROOT, engine_argv
from tests.reliability.rigs import MirrorRig
from tests.reliability.world import run_statuses

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc"),
]

NAME = "soak"
_NEXT = re.compile(r"\(run (\d+) of (\d+)\)")


def _proc(pid: int) -> dict[str, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]
    threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    return {"rss_kb": rss, "threads": threads, "fds": len(os.listdir(f"/proc/{pid}/fd"))}


def _keep_changing(rig: MirrorRig, stop: threading.Event) -> None:
    """A user at work: a few files change, appear and go while the loop runs."""
    while not stop.wait(0.05):
        rig.tree.mutate(change=3, add=1, delete=1)


def test_the_repeat_loop_stays_flat_over_many_runs(tmp_path: Path, home: Path, folders: Folders) -> None:
    runs = scale.pick(30, 500)
    rig = MirrorRig.make(folders, tmp_path, seed=71, files=60)
    (folders.profiles / f"{NAME}.toml").write_text(
        f'kind = "mirror"\n[mirror]\nsource = "{rig.tree.root}"\nreplica = "{rig.replica}"\n'
        "max_delete_percent = 100\n"
    )
    env = {
        **os.environ,
        "REARGUARD_HOME": str(home),
        "PYTHONUNBUFFERED": "1",
        cli.TIME_SCALE_ENV: str(15 * 60 / 0.03),  # 15 minutes become 30 ms
    }
    loop = subprocess.Popen(
        engine_argv("run", NAME, "--every", "15m", "--max", str(runs)),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stop = threading.Event()
    changer = threading.Thread(target=_keep_changing, args=(rig, stop), daemon=True)
    changer.start()
    samples: dict[int, dict[str, int]] = {}
    assert loop.stdout is not None
    for line in loop.stdout:
        match = _NEXT.search(line)
        if match:
            samples[int(match.group(1)) - 1] = _proc(loop.pid)
    stop.set()
    changer.join()
    err = loop.stderr.read() if loop.stderr else ""
    assert loop.wait(timeout=60) in (0, 1), err
    statuses = run_statuses(folders, NAME)
    scale.count("soak.runs", len(statuses))
    assert len(statuses) == runs and "running" not in statuses
    assert statuses.count("ok") >= runs * 0.9, "runs failed under a changing source"
    # Windows of samples after the first tenth and at the end; a sample may catch the next run
    # starting (its log, lock and database open), so open files and threads compare by the minimum.
    width = max(3, runs // 20)
    early = [samples[n] for n in sorted(samples)[runs // 10 : runs // 10 + width]]
    late = [samples[n] for n in sorted(samples)[-width:]]

    def median(values: list[int]) -> int:
        return sorted(values)[len(values) // 2]

    growth_kb = median([s["rss_kb"] for s in late]) - median([s["rss_kb"] for s in early])
    fds = (min(s["fds"] for s in early), min(s["fds"] for s in late))
    threads = (min(s["threads"] for s in early), min(s["threads"] for s in late))
    scale.note("soak_runs", runs)
    scale.note("soak_rss_growth_kb", growth_kb)
    scale.note("soak_rss_kb_after_first_tenth", median([s["rss_kb"] for s in early]))
    assert growth_kb < 6 * 1024, f"memory grew by {growth_kb} kB from run {runs // 10} to run {runs}"
    assert fds[1] <= fds[0], f"open files grew: {fds}"
    assert threads[1] <= threads[0], f"threads grew: {threads}"
    # The log: one daily file, a steady few lines per run.
    text = "".join(p.read_text() for p in folders.profile_logs(NAME).glob("LOG-*.txt"))
    chunks = [len(c.encode()) for c in text.split(f"run of '{NAME}' (mirror) started")[1:]]
    assert len(chunks) == runs
    per_run = sum(chunks) / runs
    first, last = chunks[: runs // 2], chunks[runs // 2 :]
    scale.note("soak_log_bytes_per_run", round(per_run))
    scale.note("soak_state_db_bytes_per_run", round(folders.state_db.stat().st_size / runs))
    assert per_run < 1500, f"{per_run:.0f} bytes of log per run"
    assert sum(last) / len(last) < 1.5 * sum(first) / len(first) + 200, "log lines per run grow with the runs"
    assert folders.state_db.stat().st_size / runs < 4096

    # The changer truncates a file and then writes it (as most programs save): a run that lists and
    # reads it in between copies the empty file it saw, whole and consistent, which the tree does
    # not count as a version. That is the only kind of stray file allowed here ...
    def stray(problem: str) -> bool:
        kind, _, rel = problem.partition(": ")
        return not (kind == "torn" and (rig.replica / rel).stat().st_size == 0)

    assert [p for p in rig.problems() if stray(p)] == []
    # ... and one run after the source settles leaves nothing of it: the replica is the source.
    done = subprocess.run(engine_argv("run", NAME), cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert rig.problems() == []
    assert rig.complete()
