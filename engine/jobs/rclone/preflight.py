"""Before anything moves: which rclone to run, does it work, and does the remote answer.

A missing or broken rclone and an unreachable remote are ``ToolUnavailable`` (exit 5) with one
readable line; nothing has been uploaded or recorded when they are raised.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from engine.core.errors import Cancelled, ToolUnavailable
from engine.jobs.rclone import command, json_log
from engine.tools.bundled import bundled_rclone
from engine.tools.process import run_process
from engine.tools.redact import redact

_VERSION_TIMEOUT = 30.0
_STAT_TIMEOUT = 60.0
_EXIT_DIRECTORY_NOT_FOUND = 3  # rclone's code: the remote answered, the folder is not there yet


def find_rclone(configured: str = "") -> str:
    """The rclone binary to run: the profile's, else the bundled one, else one on PATH."""
    if configured:
        path = Path(configured).expanduser()
        if path.parent == Path(".") and not path.exists():
            found = shutil.which(configured)
            if found:
                return found
        if not path.is_file():
            raise ToolUnavailable(f"rclone not found: [rclone].rclone = {configured!r} is not a file")
        return str(path.absolute())
    bundled = bundled_rclone()
    if bundled is not None:
        return str(bundled)
    found = shutil.which("rclone")
    if found:
        return found
    raise ToolUnavailable(
        "rclone not found: the bundled copy is missing and none is on PATH; "
        "reinstall Rearguard or set [rclone].rclone to an rclone binary"
    )


def check_version(binary: str) -> str:
    """Run ``rclone version``; returns e.g. ``v1.75.2`` or raises ToolUnavailable."""
    try:
        result = run_process(command.version_argv(binary), timeout=_VERSION_TIMEOUT, log_output=False)
    except OSError as error:
        raise ToolUnavailable(f"rclone cannot be started ({binary}): {error.strerror or error}") from None
    first = (result.stdout.strip().splitlines() or [""])[0]
    if not result.ok or not first.startswith("rclone v"):
        detail = (result.stderr.strip() or first or "no output")[:300]
        raise ToolUnavailable(
            f"rclone at {binary} does not work ('rclone version' exit {result.returncode}): {detail}"
        )
    return first.split()[1]


def _reason(lines: Sequence[str]) -> str:
    """The most telling line rclone printed: its last error, else its last message."""
    messages = [r for r in map(json_log.parse_line, lines) if isinstance(r, json_log.Message)]
    errors = [m.text for m in messages if m.is_error]
    chosen = errors or [m.text for m in messages]
    return chosen[-1] if chosen else "no message"


def check_remote(
    binary: str,
    remote: str,
    config: str,
    secrets: Sequence[str],
    env: Mapping[str, str] | None = None,
    cancel: threading.Event | None = None,
) -> bool:
    """Prove the remote answers with one small request; raises ToolUnavailable when it does not.

    A remote folder that does not exist yet is fine (the first upload creates it): False is
    returned for it, True for a folder that is there.
    """
    shown = redact(remote, secrets)
    try:
        result = run_process(
            command.stat_argv(binary, remote, config),
            timeout=_STAT_TIMEOUT,
            env=env,
            secrets=secrets,
            log_output=False,
            cancel=cancel,
        )
    except OSError as error:
        raise ToolUnavailable(f"rclone cannot be started ({binary}): {error.strerror or error}") from None
    if result.cancelled:
        raise Cancelled()
    if result.ok or result.returncode == _EXIT_DIRECTORY_NOT_FOUND:
        return result.ok
    if result.timed_out:
        raise ToolUnavailable(f"remote {shown} is unreachable: no answer within {_STAT_TIMEOUT:.0f} s")
    reason = redact(_reason(result.stderr.splitlines()), secrets)
    raise ToolUnavailable(f"remote {shown} is unreachable (rclone exit {result.returncode}): {reason}")
