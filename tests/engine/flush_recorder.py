"""Recording ``os.fsync``, ``os.utime`` and ``os.replace`` calls, to check a file is flushed
before it gets its real name (a stand-in for a power cut, which a test cannot make)."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest


@dataclass
class Recorder:
    """What happened, in order: ("fsync"|"utime"|"replace", inode, detail)."""

    under: str
    events: list[tuple[str, int, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, op: str, inode: int, detail: str = "") -> None:
        with self.lock:
            self.events.append((op, inode, detail))

    def install(self, monkeypatch: pytest.MonkeyPatch) -> Recorder:
        real_fsync, real_utime, real_replace = os.fsync, os.utime, os.replace

        def fsync(fd: int) -> None:
            real_fsync(fd)
            self.add("fsync", os.fstat(fd).st_ino)

        def utime(path: Any, *args: Any, **kwargs: Any) -> None:
            real_utime(path, *args, **kwargs)
            inode = os.fstat(path).st_ino if isinstance(path, int) else os.stat(path).st_ino
            self.add("utime", inode)

        def replace(src: Any, dst: Any, **kwargs: Any) -> None:
            inode = os.lstat(src).st_ino
            real_replace(src, dst, **kwargs)
            if os.fspath(dst).startswith(self.under):
                self.add("replace", inode, os.fspath(dst))

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "utime", utime)
        monkeypatch.setattr(os, "replace", replace)
        return self

    def check_installed_safely(self, mtime: bool = True) -> list[str]:
        """Every file renamed into place was fsynced (then, with ``mtime``, given its mtime) before
        the rename; and (POSIX) its folder was fsynced after the rename. Returns the paths."""
        installed = []
        for at, (op, inode, target) in enumerate(self.events):
            if op != "replace":
                continue
            before = [(o, i) for o, i, _ in self.events[:at] if i == inode]
            assert ("fsync", inode) in before, f"{target} renamed into place before it was fsynced"
            synced = before.index(("fsync", inode))
            if mtime:
                assert ("utime", inode) in before[synced:], f"{target}: mtime not set after the fsync"
            if os.name == "posix":
                folder = os.stat(os.path.dirname(target)).st_ino
                after = [(o, i) for o, i, _ in self.events[at + 1 :]]
                assert ("fsync", folder) in after, f"{os.path.dirname(target)} not fsynced after {target}"
            installed.append(target)
        return installed
