"""Before anything moves: which rclone to run, does it work, and does the remote answer.

A missing or broken rclone and an unreachable remote are ``ToolUnavailable`` (exit 5) with one
readable line; nothing has been uploaded or recorded when they are raised. A run with files to
upload asks the remote nothing beforehand: its batched upload is the first contact, and when that
call cannot reach the remote it ends with the same error (``unreachable``) as ``check_remote``.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from engine.core.errors import Cancelled, ToolUnavailable
from engine.files.atomic import atomic_write_text
from engine.jobs.rclone import command, json_log
from engine.tools.bundled import bundled_rclone
from engine.tools.process import run_process
from engine.tools.redact import redact

_VERSION_TIMEOUT = 30.0
_STAT_TIMEOUT = 60.0
_EXIT_DIRECTORY_NOT_FOUND = 3  # rclone's code: the remote answered, the folder is not there yet
VERSION_CACHE = "rclone-version.json"  # data folder: {path: [mtime_ns, ctime_ns, size, inode, version]}


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


def _binary_key(binary: str) -> list[int] | None:
    try:
        st = os.stat(binary)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino]


def _read_cache(cache: Path) -> dict[str, list[object]]:
    try:
        found = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def check_version(binary: str, cache_dir: Path | None = None) -> str:
    """``rclone version``: e.g. ``v1.75.2``, or ToolUnavailable.

    With ``cache_dir``, a version that worked is kept there by the binary's path, mtime, ctime,
    size and inode, and the same unchanged binary is not started again to ask (one rclone start
    less per run, two with the read-back). A binary that changed, or failed, is always asked.
    """
    key = _binary_key(binary)
    cache = cache_dir / VERSION_CACHE if cache_dir is not None else None
    if cache is not None and key is not None:
        known = _read_cache(cache).get(binary)
        if isinstance(known, list) and len(known) == 5 and known[:4] == key and isinstance(known[4], str):
            return known[4]
    found = _ask_version(binary)
    if cache is not None and key is not None:
        entries = _read_cache(cache)
        entries[binary] = [*key, found]
        try:
            atomic_write_text(cache, json.dumps(entries), fsync=False)  # only a hint: lost means asked again
        except OSError:
            pass
    return found


def _ask_version(binary: str) -> str:
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
    raise unreachable(remote, result.returncode, _reason(result.stderr.splitlines()), secrets)


def unreachable(remote: str, returncode: int | None, reason: str, secrets: Sequence[str]) -> ToolUnavailable:
    """The one error for a remote rclone could not reach, whichever call found out first."""
    shown = redact(remote, secrets)
    return ToolUnavailable(
        f"remote {shown} is unreachable (rclone exit {returncode}): {redact(reason, secrets)}"
    )
