"""rclone commands started ahead of need (ahead.py) never do anything the run did not ask for.

The run's upload starts as its session opens, before anything is known about the changes. Whatever
becomes of the run, that rclone either gets the list the run decided on, or is stopped, or (the run
killed outright) reads an empty list and ends having sent nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.core.errors import EXIT_REFUSED
from engine.core.testhooks import KILL_ENV
from tests.engine.rclone.conftest import Rig, rclone_processes, recording_rclone, write_files

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

ROOT = Path(__file__).resolve().parents[3]


def test_a_run_refused_after_its_upload_started_ahead_leaves_no_rclone(local_rig: Rig) -> None:
    write_files(local_rig.source, {f"f{i}.txt": str(i) for i in range(20)})
    assert local_rig.run().exit_code == 0
    for i in range(19):
        (local_rig.source / f"f{i}.txt").unlink()
    outcome = local_rig.run()  # 19 of 20 deleted: over max_delete_percent
    assert outcome.exit_code == EXIT_REFUSED
    assert not rclone_processes(str(local_rig.source))
    assert len(list(local_rig.target.root.iterdir())) == 20  # nothing deleted, no versions folder


def test_an_upload_started_ahead_whose_run_is_killed_sends_nothing(
    local_rig: Rig, home: Path, tmp_path: Path
) -> None:
    wrapper, calls = recording_rclone(tmp_path)
    write_files(local_rig.source, {"a.txt": "a", "b/c.txt": "c"})
    assert local_rig.run().exit_code == 0
    (home / "profiles").mkdir(parents=True, exist_ok=True)
    (home / "profiles" / "t.toml").write_text(
        f'kind = "rclone"\n[rclone]\nsource = "{local_rig.source}"\nremote = "{local_rig.target.remote}"\n'
        f'rclone = "{wrapper}"\n',
        encoding="utf-8",
    )
    write_files(local_rig.source, {"b/c.txt": "changed"}, mtime=1_800_000_000)
    # Killed (as kill -9 would) inside the session's first commit: the upload was started just before.
    argv = [sys.executable, "-m", "engine", "run", "t"]
    env = {**os.environ, KILL_ENV: "commit:1"}
    assert subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, timeout=60).returncode == -9
    deadline = time.monotonic() + 20
    while rclone_processes(str(local_rig.source)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not rclone_processes(str(local_rig.source))
    # The upload had been started, and it ended by itself (a killed one writes nothing to calls).
    assert (calls.with_name("started.txt")).read_text().split() == ["copy"]
    assert calls.read_text().split() == ["copy"]  # it read an empty list and ended
    assert (local_rig.target.root / "b" / "c.txt").read_text() == "c"  # nothing was sent
    assert not (local_rig.target.root / ".rearguard").exists()  # nor anything moved to versions
    again = subprocess.run(argv, cwd=ROOT, capture_output=True, timeout=60)
    assert again.returncode == 0, again.stderr  # the next run uploads it: the lock was let go
    assert (local_rig.target.root / "b" / "c.txt").read_text() == "changed"
