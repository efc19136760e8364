"""``rearguard schedule install PROFILE --print``: what would be registered, registered nowhere.

Admins read it before they install, and tests read it instead of a real scheduler: the systemd unit
files on Linux, the Task Scheduler XML on Windows, and either one anywhere with ``--platform``
(the other platform's command is then where the packaged app would be, for review).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import PureWindowsPath

from engine.core.errors import ProfileError, ToolUnavailable, UsageError
from engine.core.profiles import Profile
from engine.schedule import os_backends, task_xml
from engine.schedule.os_scheduler import command_argv

PLATFORMS = ("linux", "windows")
WINDOWS_APP = PureWindowsPath(r"C:\Program Files\Rearguard\rearguard-cli.exe")


def this_platform(platform: str = sys.platform) -> str:
    """``linux`` or ``windows``: whose scheduler ``install`` would use here."""
    if platform == "win32":
        return "windows"
    if platform.startswith("linux"):
        return "linux"
    raise ToolUnavailable(f"running with nobody logged in is not supported on {platform} yet")


def _command(profile_name: str, target: str, here: str) -> list[str]:
    if target == here:
        return command_argv(profile_name)
    if target == "windows":
        return [str(WINDOWS_APP), "run", "--scheduled", profile_name]
    return ["/usr/local/bin/rearguard", "run", "--scheduled", profile_name]


def preview(
    profiles: Sequence[Profile],
    *,
    platform: str | None = None,
    system: bool = False,
    wake: bool = False,
    password: bool = False,
    here: str | None = None,
) -> str:
    """The text of every file or task ``install`` would register for ``profiles`` on ``platform``."""
    here = here or this_platform()
    target = platform or here
    if target not in PLATFORMS:
        raise UsageError(f"--platform: {target!r} is not one of {', '.join(PLATFORMS)}")
    if not profiles:
        raise UsageError("no profile with a [schedule] to install")
    parts = []
    for profile in profiles:
        if profile.spec.schedule is None:
            raise ProfileError(
                profile.name, ['has no [schedule]; add one (every = "1d", at = "02:00") before installing']
            )
        command = _command(profile.name, target, here)
        if target == "linux":
            units = os_backends.Systemd(system=system).unit_files(profile, command, wake)
            parts += [f"# {path}\n{text}" for path, text in units.items()]
        else:
            backend = os_backends.TaskScheduler(password="(asked when installing)" if password else None)
            user = os_backends.windows_account() if here == "windows" else None
            xml = backend.task_text(profile, command, wake, user)
            declaration, _, body = xml.partition("\n")
            note = f"<!-- Task Scheduler task {task_xml.task_name(profile.name)} -->"
            parts.append(f"{declaration}\n{note}\n{body}")
    return "\n".join(parts)
