"""Starting ``python -m engine`` as a user would, and killing it with SIGKILL at a chosen moment.

A kill is "by time" (after a delay), "by event" (the engine's test-only hook, engine/core/testhooks.py,
kills itself at the n-th item / commit / set-aside), or "by watching" (the test polls the target
or the log and kills the moment what it waits for appears).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.core.testhooks import KILL_ENV

ROOT = Path(__file__).resolve().parents[2]


def engine_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "engine", *args]


@dataclass(frozen=True)
class Kill:
    """One way to end a run early: ``how`` is time, item, commit, set_aside or watch."""

    how: str
    value: float | int | str
    watch: Callable[[], bool] | None = None
    after: float = 0.0  # a watch kill waits this long after what it watches for appeared

    @property
    def moment(self) -> str:
        shown = f"{self.value:.2f}s" if isinstance(self.value, float) else str(self.value)
        return f"{self.how}:{shown}" + (f" +{self.after * 1000:.0f}ms" if self.after else "")


@dataclass
class Ended:
    killed: bool
    code: int
    seconds: float
    stderr: str


def run_and_kill(
    argv: Sequence[str], env: dict[str, str], kill: Kill, log: Path, limit: float = 120
) -> Ended:
    """Start ``argv`` and end it as ``kill`` says; ``killed`` when SIGKILL ended it."""
    env = dict(env)
    env.pop(KILL_ENV, None)
    if kill.how in ("item", "commit", "set_aside"):
        env[KILL_ENV] = f"{kill.how}:{kill.value}"
    started = time.monotonic()
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            list(argv), cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err
        )
        try:
            if kill.how == "time":
                _sleep_unless_done(proc, float(kill.value))
                _kill(proc)
            elif kill.how == "watch":
                assert kill.watch is not None
                while proc.poll() is None and time.monotonic() - started < limit:
                    if kill.watch():
                        if kill.after:
                            _sleep_unless_done(proc, kill.after)
                        _kill(proc)
                        break
                    time.sleep(0.001)
            proc.wait(timeout=limit)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    code = proc.returncode
    return Ended(code == -signal.SIGKILL, code, time.monotonic() - started, log.read_text(errors="replace"))


def _sleep_unless_done(proc: subprocess.Popen[bytes], seconds: float) -> None:
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        pass


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)


def file_appears(path: Path) -> Callable[[], bool]:
    return lambda: os.path.lexists(path)


def temp_appears(folder: Path, is_temp: Callable[[str], bool]) -> Callable[[], bool]:
    """True once a temporary file shows up in ``folder`` (a copy or upload is under way there)."""

    def seen() -> bool:
        try:
            return any(is_temp(name) for name in os.listdir(folder))
        except OSError:
            return False

    return seen


def text_appears(folder: Path, text: str) -> Callable[[], bool]:
    """True once a log file in ``folder`` gains a line containing ``text`` (after this call)."""
    start = {p: p.stat().st_size for p in folder.glob("LOG-*.txt")} if folder.is_dir() else {}
    wanted = text.encode()

    def seen() -> bool:
        try:
            for path in folder.glob("LOG-*.txt"):
                with open(path, "rb") as handle:
                    handle.seek(start.get(path, 0))
                    if wanted in handle.read():
                        return True
        except OSError:
            pass
        return False

    return seen
