"""One run per profile: an OS file lock whose file names its holder.

The OS releases the lock when the holder dies (even by SIGKILL), so a stale file never blocks;
the file's text says who holds it, for the message a second start prints. On POSIX the tools a run
starts inherit the lock (``engine.tools.inherited``): after a crash, an orphaned rclone that is still
uploading keeps the profile locked until it ends, so the next run cannot race it on the same files.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO

from engine.core.errors import RunLocked
from engine.tools.inherited import share_with_tools, unshared

if sys.platform == "win32":
    import msvcrt

    def _try_lock(handle: IO[str]) -> bool:
        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(handle: IO[str]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False

    def _unlock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def host_name() -> str:
    """This computer's name (POSIX: from uname, without importing socket on every run)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


def describe_holder(text: str) -> str:
    """Turn the lock file's JSON into words: ``pid 123 on host since 10:02 (rearguard run x)``."""
    try:
        info = json.loads(text)
        since = datetime.fromisoformat(info["started"]).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        return f"process {info['pid']} on {info['host']} since {since} ({info['command']})"
    except (ValueError, KeyError, TypeError):
        return "another process (its lock file is unreadable)"


class ProfileLock:
    """``with ProfileLock(folder, "name"):`` — raises RunLocked naming the holder when taken."""

    def __init__(self, folder: Path, profile: str, command: str = "") -> None:
        self.path = folder / f"{profile}.lock"
        self.profile = profile
        self.command = command or " ".join(["rearguard", *sys.argv[1:]])[:200]
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Open without truncating: the holder's text must survive a failed attempt.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        handle = os.fdopen(fd, "r+", encoding="utf-8")
        if not _try_lock(handle):
            try:
                handle.seek(0)
                holder = describe_holder(handle.read())
            except OSError:  # Windows refuses reads of a locked range
                holder = "another process"
            handle.close()
            raise RunLocked(f"profile '{self.profile}' is already running: held by {holder}")
        info = {
            "pid": os.getpid(),
            "host": host_name(),
            "started": datetime.now(UTC).isoformat(),
            "command": self.command,
        }
        handle.seek(0)
        handle.truncate()
        # Keep byte 0 lockable on Windows: the lock covers the first byte, the text follows it.
        handle.write(json.dumps(info))
        handle.flush()
        self._handle = handle
        share_with_tools(handle.fileno())

    def release(self) -> None:
        if self._handle is None:
            return
        with unshared(self._handle.fileno()):
            try:
                self._handle.seek(0)
                self._handle.truncate()
                _unlock(self._handle)
            finally:
                self._handle.close()
                self._handle = None

    def __enter__(self) -> ProfileLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
