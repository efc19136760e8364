"""Stopping and pausing a tool with every process it started (psutil everywhere, the process group
on POSIX); the Windows parts are pure functions of ``platform``, so they are tested on Linux too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psutil  # imported where a tree is stopped or paused: not on every run's start (8 ms)

CREATE_NEW_PROCESS_GROUP = 0x00000200
CREATE_NO_WINDOW = 0x08000000


def popen_options(platform: str = sys.platform) -> dict[str, object]:
    """Popen keywords that give the child its own process group, so the tree can be stopped."""
    if platform == "win32":
        return {"creationflags": CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW}
    return {"start_new_session": True}


def kill_tree(proc: subprocess.Popen[bytes], platform: str = sys.platform, grace: float = 3.0) -> None:
    """Stop ``proc`` and every process it started: asked to end, then killed after ``grace`` seconds.

    psutil finds the tree on every OS (gathered first: a child whose parent ends is re-parented and
    could no longer be found); on POSIX the tool's process group is signalled too, which also
    reaches children that left the tree. On Windows ending is immediate (TerminateProcess), and the
    tool's Job Object (``job_object``) ends what escaped both.
    """
    import psutil

    descendants = _tree(proc.pid)[1:]
    signal_group(proc.pid, signal.SIGTERM, platform)
    for process in descendants:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    with contextlib.suppress(OSError):
        proc.terminate()
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    # Never psutil's wait on ``proc`` itself: it would reap it before Popen learns its exit code.
    _, alive = psutil.wait_procs(descendants, timeout=max(0.0, deadline - time.monotonic()))
    signal_group(proc.pid, getattr(signal, "SIGKILL", signal.SIGTERM), platform)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    if proc.poll() is None:
        with contextlib.suppress(OSError):
            proc.kill()


def signal_group(pid: int, signum: int, platform: str) -> None:
    """Signal the tool's process group (POSIX; the tool leads its own session)."""
    if platform == "win32" or not hasattr(os, "killpg"):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


def _tree(pid: int) -> list[psutil.Process]:
    import psutil

    try:
        parent = psutil.Process(pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return []


def suspend_tree(pid: int) -> int:
    """Suspend a process and all its children (no CPU, disk or network until resumed); returns how many."""
    import psutil

    done = 0
    for process in _tree(pid):
        try:
            process.suspend()
            done += 1
        except psutil.Error:
            pass  # gone meanwhile
    return done


def resume_tree(pid: int) -> int:
    """Resume what ``suspend_tree`` suspended; returns how many processes were resumed."""
    import psutil

    done = 0
    for process in reversed(_tree(pid)):
        try:
            process.resume()
            done += 1
        except psutil.Error:
            pass
    return done
