"""SIGKILL an rclone run at many moments: with a local-folder remote, and over loopback sftp.

After every kill: nothing under a real name on the remote differs from a version its source had,
the state database opens and is whole, and the index never claims a file the remote does not hold
as the source has it now (the next run would skip it). The next run then completes: the remote
equals the source, the index matches, nothing is left in the retry queue, no ``.partial`` file is
left, and every version the remote ever held is still there or in its versions folder.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine.core.errors import RunLocked
from engine.core.folders import Folders
from engine.core.lock import ProfileLock
from engine.core.profiles import Profile, read_profile
from engine.core.runner import run_profile
from engine.core.state import StateDB
from engine.jobs.rclone import index
from tests.fakes.rclone_server import serve_sftp
from tests.reliability import scale
from tests.reliability.procs import Kill, engine_argv, file_appears, run_and_kill, temp_appears, text_appears
from tests.reliability.world import (
    Pair,
    SourceTree,
    lost,
    rclone_temp,
    real_files,
    run_statuses,
    sha,
    state_problems,
    temp_files,
    torn,
)

pytestmark = [pytest.mark.reliability, pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")]

NAME = "crash-rclone"
WAYS = ("time", "item", "commit", "watch-new-file", "watch-big-upload", "watch-log", "time")


def choose_kill(
    turn: int, rng: random.Random, work: int, tree: SourceTree, remote: Path, logs: Path, typical: float
) -> Kill:
    way = WAYS[turn % len(WAYS)]
    if way == "time":
        return Kill("time", round(rng.uniform(0.3, 1.0) * typical, 3))
    if way == "item":  # after the n-th upload rclone confirmed: Rearguard dies, rclone is orphaned
        return Kill("item", rng.randint(1, max(1, work)))
    if way == "commit":  # 1: interrupted runs marked, 2: run started, 3: the index commit, 4: history
        return Kill("commit", 1 + (turn // len(WAYS)) % 4)
    if way == "watch-new-file" and tree.added:
        rel = rng.choice(tree.added)
        return Kill("watch", f"{rel} landed", file_appears(remote / rel))
    if way == "watch-big-upload":
        return Kill("watch", "big file mid-upload", temp_appears(remote / "big", rclone_temp))
    started = text_appears(logs, "with one rclone call")
    return Kill("watch", "log: rclone started", started, after=round(rng.uniform(0, 0.2), 3))


def index_lies(folders: Folders, source: Path, remote: str, remote_root: Path) -> list[str]:
    """Indexed files the next run would skip although the remote does not hold them as they are."""
    db = StateDB(folders.state_db)
    try:
        if index.target_changed(db, NAME, str(source), remote):
            return []  # an index built for another remote: the next run does not trust it
        indexed = index.load_index(db, NAME)
    finally:
        db.close()
    lies = []
    for rel, (size, mtime_ns) in indexed.items():
        try:
            st = (source / rel).stat()
        except FileNotFoundError:
            continue  # gone from the source: the next run deletes it, it does not skip it
        if (st.st_size, st.st_mtime_ns) != (size, mtime_ns):
            continue  # changed since: the next run uploads it again
        there = remote_root / rel
        if not there.is_file() or sha(there.read_bytes()) != sha((source / rel).read_bytes()):
            lies.append(rel)
    return lies


def wait_until_free(folders: Folders, limit: float = 30) -> None:
    """Wait while the killed run's rclone still works: it inherited the profile's lock and holds
    it until it stops (at its next log line, within about a second, when it finds no reader)."""
    deadline = time.monotonic() + limit
    while True:
        try:
            with ProfileLock(folders.locks, NAME, command="test"):
                return
        except RunLocked:
            scale.count("crash.rclone_orphan_held_lock")
            assert time.monotonic() < deadline, "the killed run's rclone never stopped"
            time.sleep(0.02)


@pytest.fixture(params=["local", pytest.param("sftp", marks=pytest.mark.full_only)])
def remotes(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[int], tuple[str, Path]]]:
    """remotes(n) -> (the n-th remote as a profile names it, the local folder where its files land)."""
    if request.param == "local":
        yield lambda n: (str(tmp_path / f"remote{n}"), tmp_path / f"remote{n}")
        return
    with serve_sftp(tmp_path / "served") as server:
        for key, value in server.env("SF").items():
            monkeypatch.setenv(key, value)
        yield lambda n: (f"SF:backup{n}", server.root / f"backup{n}")


def write_profile(folders: Folders, source: Path, remote: str) -> Profile:
    path = folders.profiles / f"{NAME}.toml"
    text = f'kind = "rclone"\n[rclone]\nsource = "{source}"\nremote = "{remote}"\n'
    path.write_text(text, encoding="utf-8")
    return read_profile(path)


def test_sigkill_at_many_moments_loses_nothing(
    tmp_path: Path, home: Path, folders: Folders, rclone_env: None, remotes: Callable[[int], tuple[str, Path]]
) -> None:
    remote_name, remote_root = remotes(0)
    sftp = remote_name.startswith("SF:")
    where = "sftp" if sftp else "local"
    rng = random.Random(7 if sftp else 11)
    tree = SourceTree(tmp_path / "src", rng)
    tree.populate(files=scale.pick(120, 300), big=2, big_size=scale.pick(1, 3) * 1024 * 1024)
    profile = write_profile(folders, tree.root, remote_name)
    env = {**os.environ, "REARGUARD_HOME": str(home)}
    argv = engine_argv("run", NAME)
    turns, epoch = scale.pick((6, 6), (20, 10) if sftp else (72, 18))
    kills, moments, typical = 0, set(), 1.0
    seen: set[Pair] = set()
    work = len(tree.paths())
    for turn in range(turns):
        if turn and turn % epoch == 0:
            # A new, empty remote: the index no longer describes it and is started afresh.
            remote_name, remote_root = remotes(turn // epoch)
            profile = write_profile(folders, tree.root, remote_name)
            seen = set()
            work = len(tree.paths())
        elif turn:
            work = tree.mutate(change=scale.pick(10, 25), add=5, delete=3, big=1)
        for attempt in range(2 if turn % 3 == 2 else 1):
            logs = folders.profile_logs(NAME)
            kill = choose_kill(turn + attempt, rng, work, tree, remote_root, logs, typical)
            ended = run_and_kill(argv, env, kill, tmp_path / "stderr.txt")
            assert ended.code in (0, -9), f"{kill.moment}: exit {ended.code}\n{ended.stderr}"
            if not ended.killed:
                typical = ended.seconds
            else:
                kills += 1
                moments.add(kill.moment)
                scale.count(f"kills.rclone_{where}.{kill.how}")
                wait_until_free(folders)
            assert torn(remote_root, tree, rclone_temp) == [], f"torn files after a kill at {kill.moment}"
            assert state_problems(folders) == [], f"state database after a kill at {kill.moment}"
            lies = index_lies(folders, tree.root, remote_name, remote_root)
            assert lies == [], f"index after a kill at {kill.moment}"
            seen |= set(real_files(remote_root, temp=rclone_temp).items())
        outcome = run_profile(profile, folders)
        assert outcome.exit_code == 0, outcome.report.as_json() if outcome.report else outcome
        assert real_files(remote_root, temp=rclone_temp) == tree.current(), f"remote differs, turn {turn}"
        assert temp_files(remote_root, rclone_temp) == [], "partial uploads left after a complete run"
        db = StateDB(folders.state_db)
        try:
            indexed, retries = index.load_index(db, NAME), index.load_retries(db, NAME)
        finally:
            db.close()
        stats = {rel: (tree.root / rel).stat() for rel in tree.current()}
        on_disk = {rel: (st.st_size, st.st_mtime_ns) for rel, st in stats.items()}
        assert indexed == on_disk and retries == {}
        missing = lost(seen, remote_root, rclone_temp)
        scale.count("lost.rclone", len(missing))
        scale.count("checked.rclone_versions", len(seen))
        assert not missing, f"versions lost: {sorted(missing)[:5]}"
        statuses = run_statuses(folders, NAME)
        assert "running" not in statuses and statuses[-1] == "ok", statuses
    scale.note(f"rclone_{where}_kill_moments", len(moments))
    assert kills >= scale.pick(4, 15 if sftp else 50), f"only {kills} runs were really killed"
    assert len(moments) >= scale.pick(3, 15 if sftp else 50), sorted(moments)
