"""Two runs of one profile, the window and the command line at once, a run while the scheduler fires.

The profile lock lets exactly one run work; the other is refused at once with exit 4 (or RunLocked,
or a "locked" result in the window) naming who holds it, and changes nothing. A repeating schedule
whose slot finds the profile busy skips that slot and goes on. Afterwards the target is complete.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from engine import cli
from engine.core.errors import RunLocked
from engine.core.folders import Folders
from engine.core.lock import ProfileLock
from engine.core.profiles import read_profile
from engine.core.runner import run_profile
from tests.reliability import scale
from tests.reliability.procs import ROOT, engine_argv
from tests.reliability.rigs import MirrorRig
from tests.reliability.world import run_statuses

pytestmark = [pytest.mark.reliability, pytest.mark.skipif(sys.platform == "win32", reason="SIGSTOP")]

NAME = "busy"


def _profile_file(folders: Folders, rig: MirrorRig) -> Path:
    path = folders.profiles / f"{NAME}.toml"
    path.write_text(f'kind = "mirror"\n[mirror]\nsource = "{rig.tree.root}"\nreplica = "{rig.replica}"\n')
    return path


def _holder_pid(folders: Folders) -> int | None:
    try:
        return int(json.loads((folders.locks / f"{NAME}.lock").read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return None


@contextmanager
def _cli_run_holding_the_lock(folders: Folders, home: Path) -> Iterator[subprocess.Popen[str]]:
    """A ``rearguard run`` frozen (SIGSTOP) right after it took the profile's lock; resumed after."""
    env = {**os.environ, "REARGUARD_HOME": str(home)}
    proc = subprocess.Popen(
        engine_argv("run", NAME), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 20
    while _holder_pid(folders) != proc.pid:
        assert proc.poll() is None and time.monotonic() < deadline, "the run never took its lock"
        time.sleep(0.0005)
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        yield proc
    finally:
        os.kill(proc.pid, signal.SIGCONT)
        proc.communicate(timeout=120)


def test_a_second_command_line_run_is_refused_while_the_first_works(
    tmp_path: Path, home: Path, folders: Folders
) -> None:
    rig = MirrorRig.make(folders, tmp_path, seed=51, files=scale.pick(300, 1500))
    _profile_file(folders, rig)
    env = {**os.environ, "REARGUARD_HOME": str(home)}
    for _ in range(scale.pick(2, 10)):
        rig.tree.mutate(change=30, add=10, delete=3)
        with _cli_run_holding_the_lock(folders, home) as first:
            second = subprocess.run(
                engine_argv("run", NAME), cwd=ROOT, env=env, capture_output=True, text=True
            )
            scale.count("concurrency.two_cli_runs")
            assert second.returncode == 4, second
            assert second.stderr.count("\n") == 1 and f"process {first.pid}" in second.stderr
        assert first.returncode == 0, first.stderr
        assert rig.complete() and rig.problems() == []


def test_many_runs_started_at_once_never_overlap(tmp_path: Path, home: Path, folders: Folders) -> None:
    rig = MirrorRig.make(folders, tmp_path, seed=52, files=scale.pick(200, 800))
    _profile_file(folders, rig)
    env = {**os.environ, "REARGUARD_HOME": str(home)}
    for _ in range(scale.pick(1, 5)):
        rig.tree.mutate(change=40, add=10, delete=3)
        procs = [
            subprocess.Popen(
                engine_argv("run", NAME),
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(scale.pick(4, 8))
        ]
        codes = [proc.wait(timeout=120) for proc in procs]
        scale.count("concurrency.simultaneous_runs", len(procs))
        assert set(codes) <= {0, 4} and 0 in codes, codes
        assert rig.complete() and rig.problems() == []
    assert "running" not in run_statuses(folders, NAME)


def _held_by_a_slow_run(
    profile: object, folders: Folders
) -> tuple[threading.Thread, threading.Event, list[object]]:
    """A run in a thread that stops in its first event until the returned event is set."""
    gate, hold, result = threading.Event(), threading.Event(), []

    def slow_reporter(event: object) -> None:
        gate.set()
        hold.wait(20)

    thread = threading.Thread(
        target=lambda: result.append(run_profile(profile, folders, reporter=slow_reporter))  # type: ignore[arg-type]
    )
    thread.start()
    assert gate.wait(20), "the run never started"
    return thread, hold, result


def _window_run(qtbot: object, profile: object, folders: Folders) -> object:
    """Press "Run now" in the window (its run worker) and wait for the result."""
    run_worker = pytest.importorskip("gui.run_worker")
    session = run_worker.RunSession(profile, folders)
    session.start()
    qtbot.waitUntil(lambda: session.result is not None, timeout=20_000)  # type: ignore[attr-defined]
    return session.result


def test_the_window_and_the_command_line_at_once(
    tmp_path: Path, home: Path, folders: Folders, qtbot: object
) -> None:
    pytest.importorskip("gui.run_worker")
    rig = MirrorRig.make(folders, tmp_path, seed=53, files=scale.pick(300, 1000))
    profile = read_profile(_profile_file(folders, rig))
    env = {**os.environ, "REARGUARD_HOME": str(home)}
    for _ in range(scale.pick(1, 5)):
        rig.tree.mutate(change=30, add=10, delete=3)
        # The command line runs; "Run now" in the window is refused and says by whom.
        with _cli_run_holding_the_lock(folders, home) as cli_run:
            result = _window_run(qtbot, profile, folders)
            scale.count("concurrency.window_while_cli_runs")
            assert result.status == "locked", result  # type: ignore[attr-defined]
            assert f"process {cli_run.pid}" in (result.error or "")  # type: ignore[attr-defined]
        assert cli_run.returncode == 0 and rig.complete()
        # The window runs (held in its first event); the command line is refused.
        rig.tree.mutate(change=30, add=10, delete=3)
        thread, hold, outcome = _held_by_a_slow_run(profile, folders)
        refused = subprocess.run(engine_argv("run", NAME), cwd=ROOT, env=env, capture_output=True, text=True)
        hold.set()
        thread.join(60)
        scale.count("concurrency.cli_while_window_runs")
        assert refused.returncode == 4 and f"process {os.getpid()}" in refused.stderr, refused
        assert outcome and outcome[0].exit_code == 0  # type: ignore[attr-defined]
        assert rig.complete() and rig.problems() == []
        assert _window_run(qtbot, profile, folders).status == "ok"  # type: ignore[attr-defined]


def test_two_runs_of_one_profile_in_one_process(tmp_path: Path, folders: Folders) -> None:
    rig = MirrorRig.make(folders, tmp_path, seed=54, files=50)
    profile = rig.profile()
    thread, hold, first = _held_by_a_slow_run(profile, folders)
    with pytest.raises(RunLocked, match="already running"):
        run_profile(profile, folders, trigger="schedule")  # the scheduler fires meanwhile
    hold.set()
    thread.join(60)
    scale.count("concurrency.scheduler_fires_during_a_run")
    assert first and first[0].exit_code == 0  # type: ignore[attr-defined]
    assert run_statuses(folders, rig.name) == ["ok"], "the refused start must leave no history row"
    assert rig.complete()


def test_a_repeating_schedule_skips_a_busy_slot_and_goes_on(
    tmp_path: Path, home: Path, folders: Folders
) -> None:
    rig = MirrorRig.make(folders, tmp_path, seed=55, files=30)
    _profile_file(folders, rig)
    slot = 1.2  # seconds for 15 minutes: a 30-file run fits in a slot even on a loaded machine
    env = {**os.environ, "REARGUARD_HOME": str(home), cli.TIME_SCALE_ENV: str(15 * 60 / slot)}
    loop = subprocess.Popen(
        engine_argv("run", NAME, "--every", "15m", "--max", "4"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    err_lines: list[str] = []
    skipped = threading.Event()

    def read_errors() -> None:
        assert loop.stderr is not None
        for line in loop.stderr:
            err_lines.append(line)
            if "this run skipped" in line:
                skipped.set()

    reader = threading.Thread(target=read_errors, daemon=True)
    reader.start()
    deadline = time.monotonic() + 30
    while not folders.state_db.exists() or run_statuses(folders, NAME).count("ok") < 1:
        assert time.monotonic() < deadline and loop.poll() is None
        time.sleep(0.01)
    while True:  # between two runs of the loop (it may have started the second already)
        try:
            busy = ProfileLock(folders.locks, NAME, command="a run from the window")
            busy.acquire()
            break
        except RunLocked:
            assert time.monotonic() < deadline and loop.poll() is None
            time.sleep(0.01)
    try:  # busy until the loop's next slot finds it so, however late that comes
        assert skipped.wait(30), "".join(err_lines)
    finally:
        busy.release()
    out = loop.stdout.read() if loop.stdout else ""
    loop.wait(timeout=60)
    reader.join(timeout=10)
    err = "".join(err_lines)
    scale.count("concurrency.schedule_slot_while_busy")
    assert loop.returncode == 0, (out, err)
    assert "skipped" in err and "a run from the window" in err, err
    assert 2 <= run_statuses(folders, NAME).count("ok") <= 3
    assert rig.complete()
