"""SIGKILL a mirror at many moments: nothing under a real name is ever half-written, and the next
run cleans up and completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.conftest import ROOT
from tests.engine.mirror.trees import make_tree, snapshot

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

KILLS = int(os.environ.get("REARGUARD_KILLS", "6"))


def _check_replica(src: Path, dst: Path) -> None:
    for path in dst.rglob("*"):
        rel = path.relative_to(dst)
        if rel.parts[0] == ".rearguard" or path.is_dir() or path.name.startswith(".~rg."):
            continue
        assert path.read_bytes() == (src / rel).read_bytes(), f"{rel} differs from its source"


def test_kill_at_many_moments_loses_nothing(tmp_path: Path, home: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    make_tree(src, {f"d{i % 20}/f{i}.txt": f"content {i} " * (i % 50 + 1) for i in range(3000)})
    (src / "large.bin").write_bytes(os.urandom(24 * 1024 * 1024))
    env = {**os.environ, "REARGUARD_HOME": str(home)}
    argv = [sys.executable, "-m", "engine", "mirror", str(src), str(dst)]
    for attempt in range(KILLS):
        if dst.exists() and attempt % 2:
            # Change the source between kills so replaces and deletes are in flight too.
            for i in range(attempt, 3000, 97):
                (src / f"d{i % 20}/f{i}.txt").write_text(f"changed {attempt}")
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.25 + 0.15 * attempt)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if dst.exists():
            _check_replica(src, dst)
    final = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert final.returncode == 0, final.stdout + final.stderr
    assert snapshot(dst) == snapshot(src)
    assert not list(dst.rglob(".~rg.*"))
