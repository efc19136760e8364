"""Office hours on the command line: ``run --scheduled`` and the window, Ctrl+Z and ``--pause-file``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.cli.conftest import CLI, ROOT, write_profile

MIB = 1 << 20


def _hhmm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def _window(start_in: timedelta, end_in: timedelta) -> str:
    now = datetime.now()
    return f"{_hhmm(now + start_in)}-{_hhmm(now + end_in)}"


def _profile(tmp_path: Path, window: str, **mirror: str) -> str:
    extra = "".join(f"{k} = {v}\n" for k, v in mirror.items())
    return (
        f'kind = "mirror"\n[schedule]\nevery = "4h"\nwindow = "{window}"\n'
        f'[mirror]\nsource = "{tmp_path / "src"}"\nreplica = "{tmp_path / "dst"}"\n{extra}'
    )


def test_a_scheduled_run_outside_its_window_does_nothing_and_exits_0(
    cli: CLI, home: Path, tmp_path: Path
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a")
    write_profile(home, "night", _profile(tmp_path, _window(timedelta(hours=2), timedelta(hours=3))))
    result = cli("run", "night", "--scheduled")
    assert result.code == 0, result.err
    assert "outside its window" in result.out and "nothing done" in result.out
    assert not (tmp_path / "dst").exists()
    as_json = cli("run", "night", "--scheduled", "--json")
    assert as_json.code == 0 and as_json.json()["status"] == "skipped"
    assert "outside its window" in as_json.json()["reason"]
    assert cli("show", "night", "--json").json().get("runs", []) == []
    # By hand (no --scheduled) the window does not apply.
    manual = cli("run", "night")
    assert manual.code == 0 and (tmp_path / "dst" / "a.txt").read_text() == "a"


def test_a_scheduled_run_inside_its_window_runs(cli: CLI, home: Path, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a")
    write_profile(home, "night", _profile(tmp_path, _window(-timedelta(hours=1), timedelta(hours=1))))
    result = cli("run", "night", "--scheduled", "--json")
    assert result.code == 0, result.err
    assert result.json()["status"] == "ok" and (tmp_path / "dst" / "a.txt").read_text() == "a"


def _bytes_below(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.is_dir() else 0


@contextmanager
def _started(home: Path, *args: str) -> Iterator[subprocess.Popen[str]]:
    # A job of its own, as a shell starts one: the kernel discards a stop signal sent to an orphaned
    # process group (pytest run by CI or under setsid is one), so Ctrl+Z is tried the way a terminal
    # user's job gets it.
    extra: dict[str, Any] = {"process_group": 0} if sys.platform != "win32" else {}
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", *args],
        cwd=ROOT,
        env={**os.environ, "REARGUARD_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **extra,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            for child in psutil.Process(proc.pid).children(recursive=True):
                child.resume()
                child.kill()
            proc.send_signal(signal.SIGCONT)
            proc.kill()
        proc.communicate(timeout=30)


def _wait_bytes(root: Path, at_least: int) -> None:
    deadline = time.monotonic() + 30
    while _bytes_below(root) < at_least and time.monotonic() < deadline:
        time.sleep(0.02)


def _samples(root: Path, seconds: float) -> list[int]:
    out = []
    for _ in range(int(seconds / 0.2)):
        out.append(_bytes_below(root))
        time.sleep(0.2)
    return out


@pytest.mark.skipif(not hasattr(signal, "SIGTSTP"), reason="Ctrl+Z is a POSIX terminal's")
def test_ctrl_z_pauses_rclone_too_and_fg_resumes(home: Path, tmp_path: Path, rclone_env: None) -> None:
    (tmp_path / "src").mkdir()
    data = os.urandom(12 * MIB)
    (tmp_path / "src" / "big.bin").write_bytes(data)
    remote = tmp_path / "remote"
    write_profile(
        home,
        "up",
        f'kind = "rclone"\n[rclone]\nsource = "{tmp_path / "src"}"\nremote = "{remote}"\nbwlimit = "4M"\n',
    )
    with _started(home, "run", "up") as proc:
        _wait_bytes(remote, MIB)
        proc.send_signal(signal.SIGTSTP)  # what Ctrl+Z sends to the foreground job
        deadline = time.monotonic() + 15  # a loaded machine may take a while to run the handler
        while psutil.Process(proc.pid).status() != psutil.STATUS_STOPPED and time.monotonic() < deadline:
            time.sleep(0.05)
        assert psutil.Process(proc.pid).status() == psutil.STATUS_STOPPED
        samples = _samples(remote, 2.0)
        print(f"Ctrl+Z on an rclone run: bytes on the remote during 2 s: {sorted(set(samples))}")
        assert len(set(samples)) == 1, f"rclone went on uploading behind a stopped job: {samples}"
        proc.send_signal(signal.SIGCONT)  # fg
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    assert "paused" in err and "resumed" in err
    assert (remote / "big.bin").read_bytes() == data


def test_a_pause_file_pauses_while_it_exists(home: Path, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    data = os.urandom(12 * MIB)
    (tmp_path / "src" / "big.bin").write_bytes(data)
    flag = tmp_path / "pause-now"
    write_profile(
        home, "m", _profile(tmp_path, _window(-timedelta(hours=1), timedelta(hours=1)), bwlimit='"4M"')
    )
    with _started(home, "run", "m", "--pause-file", str(flag)) as proc:
        _wait_bytes(tmp_path / "dst", MIB)
        flag.write_text("")
        time.sleep(1.0)  # looked at twice a second, then the block under way ends
        samples = _samples(tmp_path / "dst", 2.0)
        print(f"--pause-file on a mirror run: bytes on the replica during 2 s: {sorted(set(samples))}")
        assert len(set(samples)) == 1, f"the replica grew while the pause file existed: {samples}"
        flag.unlink()
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    assert "paused:" in err and "resumed:" in err
    assert (tmp_path / "dst" / "big.bin").read_bytes() == data
