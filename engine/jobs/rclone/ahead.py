"""rclone commands started ahead of need, while the run still works out what they will do.

rclone spends some 40 ms of CPU starting (setting up its backends) before it reads its file list;
a command started early, with its list to come on standard input (``--files-from-raw -``), has
done that by the time the list is known. The run's upload is started as the run's session opens
(its state database's check and the top of the walk keep one core alone busy then), the
read-back's check as the scan finds the first change; both starts overlap work the run does anyway.

A command started ahead is used only when the one the run then needs is exactly the same (every
flag); otherwise it is stopped and the needed one started fresh: a wrong guess costs a start,
never a different command. One that is not used is stopped when the run ends (``ctx.held``). One
whose run was killed outright reads an empty list when its input closes, and so does nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from engine.core.context import HeldOver, RunContext
from engine.jobs.rclone.stream import Streaming

UPLOAD = "rclone upload"
CHECK = "rclone check"
ArgvFor = Callable[[str], list[str]]  # the command, given a folder of its own for files it writes


@dataclass
class Ahead:
    """One command started ahead, and the temporary folder its command line names."""

    streaming: Streaming
    folder: str

    def close(self) -> None:
        try:
            self.streaming.close()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def start(held: HeldOver, secrets: Sequence[str], key: str, argv_for: ArgvFor) -> None:
    """Start the command now for a later phase; nothing when it cannot start (that phase will say why)."""
    folder = tempfile.mkdtemp(prefix="rearguard-rclone-")
    try:
        streaming = Streaming(argv_for(folder), secrets=secrets)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        return
    held.put(key, Ahead(streaming, folder))


def drop(ctx: RunContext, key: str) -> None:
    """Stop the command started ahead under ``key``: the run will not need it."""
    held = ctx.held.take(key)
    if held is not None:
        held.close()


@contextmanager
def command(ctx: RunContext, key: str | None, argv_for: ArgvFor) -> Iterator[tuple[Streaming, str]]:
    """``with command(...) as (started, folder):`` the command ``argv_for`` builds, started.

    The one started ahead under ``key`` (if any) when it is the same command, else a new one. Raises
    OSError when rclone cannot be started. The folder is removed when the block ends.
    """
    held = ctx.held.take(key) if key is not None else None
    ahead = held if isinstance(held, Ahead) else None
    if held is not None and ahead is None:
        held.close()
    folder = ahead.folder if ahead is not None else tempfile.mkdtemp(prefix="rearguard-rclone-")
    try:
        argv = argv_for(folder)
        if ahead is not None and ahead.streaming.argv == argv:
            streaming = ahead.streaming
        else:
            if ahead is not None:
                ahead.streaming.close()
            streaming = Streaming(argv, secrets=ctx.secrets)
        try:
            yield streaming, folder
        finally:
            streaming.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
