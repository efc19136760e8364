"""Pausing a command-line run: Ctrl+Z (SIGTSTP) and ``--pause-file``.

What a terminal user expects from Ctrl+Z is what they get: the shell takes the prompt back and the
job shows as stopped; ``fg`` (or ``bg``) resumes it. Without help, Ctrl+Z would stop Rearguard but
not rclone (it runs in its own process group so a stop of the run can reach its whole tree), and
an upload would go on behind a "Stopped" job. So on SIGTSTP the run's pause is set, rclone's
process trees are suspended, and only then does Rearguard stop itself the way the default action
would; SIGCONT carries on from there and resumes them. ``kill -TSTP PID`` / ``kill -CONT PID`` do
the same from a script. (SIGSTOP cannot be caught: it stops Rearguard only.)

``--pause-file FILE`` works everywhere, Windows included, and for runs started by a scheduler: the
run is paused while FILE exists (looked at twice a second) and resumes when it is removed.

Either way the profile stays locked while paused: no other run of it can start.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

from engine.files.pacing import PauseSwitch

PAUSE_FILE_POLL = 0.5


def _children() -> list[int]:
    import psutil  # here, not at the top: only a pause needs it (7 ms of every run's start)

    try:
        return [child.pid for child in psutil.Process().children()]
    except psutil.Error:
        return []


class PauseControl:
    """Owns a run's PauseSwitch for the command line (a context manager around the run)."""

    def __init__(self, pause_file: str | None = None, *, suspend_tools: bool = True) -> None:
        self.switch = PauseSwitch()
        self.suspend_tools = suspend_tools  # not RevitServerTool: its export goes on, the next waits
        self.pause_file = os.path.abspath(os.path.expanduser(pause_file)) if pause_file else None
        self._previous: Any = None
        self._done = threading.Event()
        self._watcher: threading.Thread | None = None
        self._by_file = False

    def __enter__(self) -> PauseSwitch:
        tstp = getattr(signal, "SIGTSTP", None)
        if tstp is not None and threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(tstp, self._on_tstp)
        if self.pause_file is not None:
            self._watch_file()
            self._watcher = threading.Thread(target=self._file_loop, name="pause-file", daemon=True)
            self._watcher.start()
        return self.switch

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._watcher is not None:
            self._watcher.join(timeout=2)
        tstp = getattr(signal, "SIGTSTP", None)
        if tstp is not None and self._previous is not None:
            signal.signal(tstp, self._previous)

    def _on_tstp(self, signum: int, frame: FrameType | None) -> None:
        tstp = getattr(signal, "SIGTSTP", signum)
        self.switch.pause()
        from engine.tools.process_tree import resume_tree, suspend_tree

        children = _children() if self.suspend_tools else []
        for pid in children:
            suspend_tree(pid)
        print("\npaused — 'fg' or 'bg' resumes; the profile stays locked meanwhile", file=sys.stderr)
        signal.signal(tstp, signal.SIG_DFL)
        try:
            os.kill(os.getpid(), tstp)  # stop here, as Ctrl+Z would have without this handler
        finally:
            signal.signal(tstp, self._on_tstp)  # continued (SIGCONT): carry on
        for pid in children:
            resume_tree(pid)
        if not self._by_file:
            self.switch.resume()
        print("resumed", file=sys.stderr)

    def _file_loop(self) -> None:
        while not self._done.wait(PAUSE_FILE_POLL):
            self._watch_file()

    def _watch_file(self) -> None:
        assert self.pause_file is not None
        exists = os.path.exists(self.pause_file)
        if exists and not self._by_file:
            self._by_file = True
            if self.switch.pause():
                print(f"paused: {self.pause_file} exists; remove it to resume", file=sys.stderr)
        elif not exists and self._by_file:
            self._by_file = False
            if self.switch.resume():
                print(f"resumed: {self.pause_file} is gone", file=sys.stderr)
