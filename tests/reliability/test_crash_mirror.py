"""SIGKILL a mirror run at many moments (by time, by event, by watching the replica and the log).

After every kill: no file under a real name in the replica differs from a version its source had,
and the state database opens and is whole. The next run then completes: the replica equals the
source, no temporary file is left anywhere, and every version the replica ever held is still in it
or in its versions folder.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import pytest

from engine.core.folders import Folders
from engine.core.profiles import read_profile
from engine.core.runner import run_profile
from tests.reliability import scale
from tests.reliability.procs import Kill, engine_argv, file_appears, run_and_kill, temp_appears, text_appears
from tests.reliability.world import (
    Pair,
    SourceTree,
    lost,
    mirror_temp,
    mtimes,
    real_files,
    run_statuses,
    state_problems,
    temp_files,
    torn,
    wipe,
)

pytestmark = [pytest.mark.reliability, pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")]

NAME = "crash-mirror"
WAYS = ("time", "item", "commit", "set_aside", "watch-new-file", "watch-big-copy", "watch-log", "time")


def choose_kill(
    turn: int, rng: random.Random, work: int, tree: SourceTree, replica: Path, logs: Path, typical: float
) -> Kill:
    """The turn's way to kill; ``typical``: how long a whole run took lately (process start included)."""
    way = WAYS[turn % len(WAYS)]
    if way == "time":
        return Kill("time", round(rng.uniform(0.3, 1.0) * typical, 3))
    if way == "item":
        return Kill("item", rng.randint(1, max(1, work)))
    if way == "commit":  # 1: interrupted runs marked, 2: run started, 3: run finished (history written)
        return Kill("commit", 1 + (turn // len(WAYS)) % 3)
    if way == "set_aside":
        return Kill("set_aside", rng.randint(1, max(1, len(tree.replaced))))
    if way == "watch-new-file" and tree.added:
        rel = rng.choice(tree.added)
        return Kill("watch", f"{rel} landed", file_appears(replica / rel))
    if way == "watch-big-copy":
        return Kill("watch", "big file mid-copy", temp_appears(replica / "big", mirror_temp))
    started = text_appears(logs, f"run of '{NAME}' (mirror) started")
    return Kill("watch", "log: run started", started, after=round(rng.uniform(0, 0.05), 3))


def test_sigkill_at_many_moments_loses_nothing(tmp_path: Path, home: Path, folders: Folders) -> None:
    rng = random.Random(20261126)
    tree = SourceTree(tmp_path / "src", rng)
    tree.populate(files=scale.pick(150, 400), big=2, big_size=scale.pick(1, 3) * 1024 * 1024)
    replica = tmp_path / "replica"
    profile_file = folders.profiles / f"{NAME}.toml"
    profile_file.write_text(
        f'kind = "mirror"\n[mirror]\nsource = "{tree.root}"\nreplica = "{replica}"\n', encoding="utf-8"
    )
    profile = read_profile(profile_file)
    env = {**os.environ, "REARGUARD_HOME": str(home)}
    argv = engine_argv("run", NAME)
    turns, epoch = scale.pick((7, 7), (80, 16))
    kills, moments, typical = 0, set(), 0.5
    seen: set[Pair] = set()
    work = len(tree.paths())
    for turn in range(turns):
        if turn and turn % epoch == 0:
            wipe(replica)  # a first, full copy again: kills during a big initial backup
            seen = set()
            work = len(tree.paths())
        elif turn:
            work = tree.mutate(change=scale.pick(15, 30), add=6, delete=4, big=1)
        for attempt in range(2 if turn % 3 == 2 else 1):  # sometimes a killed run is killed again
            kill = choose_kill(turn + attempt, rng, work, tree, replica, folders.profile_logs(NAME), typical)
            ended = run_and_kill(argv, env, kill, tmp_path / "stderr.txt")
            assert ended.code in (0, -9), f"{kill.moment}: exit {ended.code}\n{ended.stderr}"
            if not ended.killed:
                typical = ended.seconds
            else:
                kills += 1
                moments.add(kill.moment)
                scale.count(f"kills.mirror.{kill.how}")
            assert torn(replica, tree) == [], f"torn files after a kill at {kill.moment}"
            assert state_problems(folders) == [], f"state database after a kill at {kill.moment}"
            seen |= set(real_files(replica).items())
        outcome = run_profile(profile, folders)
        assert outcome.exit_code == 0, outcome.report.as_json() if outcome.report else outcome
        assert real_files(replica) == tree.current(), f"replica differs from source after turn {turn}"
        assert mtimes(replica) == mtimes(tree.root)
        assert temp_files(replica) == [], "temporary files left after a complete run"
        missing = lost(seen, replica)
        scale.count("lost.mirror", len(missing))
        scale.count("checked.mirror_versions", len(seen))
        assert not missing, f"versions lost: {sorted(missing)[:5]}"
        statuses = run_statuses(folders, NAME)
        assert "running" not in statuses and statuses[-1] == "ok", statuses
    scale.note("mirror_kill_moments", len(moments))
    assert kills >= scale.pick(5, 50), f"only {kills} runs were really killed"
    assert len(moments) >= scale.pick(4, 50), sorted(moments)
