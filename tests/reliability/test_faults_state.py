"""A damaged or locked state database: never a traceback, never a healthy file thrown away.

Damaged (garbage, cut short, pages overwritten): moved aside with a message naming where it went,
the run goes on and the target loses nothing; an rclone index rebuilt this way uploads nothing again.
Locked by another program for longer than the wait: one line, exit 5, the file left in place and
the target untouched.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import cli
from engine.core import state
from engine.core.folders import Folders
from tests.reliability import scale
from tests.reliability.procs import ROOT, engine_argv
from tests.reliability.rigs import MirrorRig, RcloneRig
from tests.reliability.world import SourceTree, version_pairs

pytestmark = pytest.mark.reliability


def _damage(db: Path, how: str, rng: random.Random) -> None:
    data = bytearray(db.read_bytes())
    if how == "garbage":
        data = bytearray(rng.randbytes(len(data) or 4096))
    elif how == "cut short":
        data = data[: max(100, len(data) // 3)]
    elif how == "pages overwritten":
        for _ in range(4):
            start = rng.randrange(4096, max(4097, len(data) - 512))
            data[start : start + 512] = rng.randbytes(512)
    elif how == "header overwritten":
        data[:100] = rng.randbytes(100)
    db.write_bytes(bytes(data))


def _checkpoint(db: Path) -> None:
    """Fold the WAL into the file, so damaging the file damages everything."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


HOW = ["garbage", "cut short", "pages overwritten", "header overwritten"]


@pytest.mark.parametrize("how", HOW)
def test_a_damaged_state_database_is_moved_aside_and_the_mirror_completes(
    tmp_path: Path, folders: Folders, how: str
) -> None:
    rig = MirrorRig.make(folders, tmp_path, seed=31, files=scale.pick(40, 150))
    for round_ in range(scale.pick(1, 3)):
        assert rig.run().exit_code == 0
        rig.tree.mutate(change=10, add=3, delete=2)
        _checkpoint(folders.state_db)
        _damage(folders.state_db, how, random.Random(round_))
        scale.count("faults.state_db_damaged")
        outcome = rig.run()
        report = rig.report(outcome)
        assert outcome.exit_code == 0, report.as_json()
        notes = [w for w in report.warnings if "state database" in w and "moved to" in w]
        assert notes, report.warnings
        assert list(folders.data.glob("state.db.corrupt-*")), "the damaged file is kept for a look"
        assert rig.complete() and rig.problems() == []


def test_a_damaged_state_database_costs_the_rclone_job_no_new_uploads(
    tmp_path: Path, folders: Folders, rclone_env: None
) -> None:
    tree = SourceTree(tmp_path / "src", random.Random(32))
    tree.populate(files=scale.pick(60, 200), big=1, big_size=1024 * 1024)
    rig = RcloneRig(folders, tree, str(tmp_path / "remote"), tmp_path / "remote")
    assert rig.run().exit_code == 0 and rig.complete()
    for how in scale.pick(HOW[:2], HOW):
        kept = version_pairs(rig.remote_root)
        _checkpoint(folders.state_db)
        _damage(folders.state_db, how, random.Random(len(how)))
        scale.count("faults.state_db_damaged")
        outcome = rig.run()
        assert outcome.exit_code == 0 and outcome.report is not None
        assert any("moved to" in w for w in outcome.report.warnings)
        assert rig.complete() and rig.problems() == []
        assert version_pairs(rig.remote_root) == kept, "files were uploaded again after the index was lost"


@contextlib.contextmanager
def _held_by_another_program(db: Path, how: str) -> Iterator[None]:
    """Another process takes the database's write lock (or all of it) and keeps it."""
    code = (
        "import sqlite3, sys, time\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        + ("c.execute('PRAGMA locking_mode=EXCLUSIVE')\n" if how == "exclusive" else "")
        + "c.execute('BEGIN EXCLUSIVE')\n"
        + ("c.execute('COMMIT')\n" if how == "exclusive" else "")
        + "print('held', flush=True)\ntime.sleep(120)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("how", ["writer", "exclusive"])
def test_a_locked_state_database_is_one_clear_line_and_is_never_moved_aside(
    tmp_path: Path, folders: Folders, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    rig = MirrorRig.make(folders, tmp_path, seed=33, files=20)
    assert rig.run().exit_code == 0
    rig.tree.mutate(change=5, add=2, delete=0)
    profile = folders.profiles / "locked.toml"
    profile.write_text(f'kind = "mirror"\n[mirror]\nsource = "{rig.tree.root}"\nreplica = "{rig.replica}"\n')
    before = {p: p.stat().st_mtime_ns for p in rig.replica.rglob("*")}
    monkeypatch.setattr(state, "BUSY_TIMEOUT_S", 0.3)
    for command in (["run", "locked"], ["list"], ["show", "locked"]):
        with _held_by_another_program(folders.state_db, how):
            code, out, err = _cli(*command)
        scale.count("faults.state_db_locked")
        if command[0] != "run" and how == "writer":  # reading goes on beside a writer (WAL)
            assert code == 0 and err == "", (command, err)
            continue
        assert (code, out) == (5, ""), (command, code, out, err)
        assert err.count("\n") == 1 and "in use by another program" in err and "Traceback" not in err
    assert not list(folders.data.glob("state.db.corrupt-*")), "a healthy, locked database was moved aside"
    assert {p: p.stat().st_mtime_ns for p in rig.replica.rglob("*")} == before, "the target was touched"
    with _held_by_another_program(folders.state_db, how):
        pass
    assert _cli("run", "locked")[0] == 0 and rig.complete()


@pytest.mark.full_only
def test_a_locked_state_database_through_the_real_command_waits_then_says_so(
    tmp_path: Path, folders: Folders, home: Path
) -> None:
    rig = MirrorRig.make(folders, tmp_path, seed=34, files=10)
    assert rig.run().exit_code == 0
    (folders.profiles / "locked.toml").write_text(
        f'kind = "mirror"\n[mirror]\nsource = "{rig.tree.root}"\nreplica = "{rig.replica}"\n'
    )
    env = {**os.environ, "REARGUARD_HOME": str(home)}
    with _held_by_another_program(folders.state_db, "writer"):
        started = time.monotonic()
        done = subprocess.run(engine_argv("run", "locked"), cwd=ROOT, env=env, capture_output=True, text=True)
    scale.count("faults.state_db_locked")
    assert done.returncode == 5, done
    assert state.BUSY_TIMEOUT_S <= time.monotonic() - started < state.BUSY_TIMEOUT_S + 10
    assert done.stderr.count("\n") == 1 and "in use by another program" in done.stderr
    assert not list(folders.data.glob("state.db.corrupt-*"))
