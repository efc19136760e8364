"""rclone's JSON log (``--use-json-log``) read line by line into small typed records.

A line is one JSON object with ``level``, ``msg``, often ``object`` (the file's path relative to the
command's source) and, for the periodic stats, a ``stats`` object. Lines that are not JSON (rclone
writes a few plain lines before its logging is set up) become plain messages.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# rclone uploads to "<name>.<8 hex>.partial" and renames; a failure is reported on that name.
_PARTIAL = re.compile(r"^(?P<name>.+)\.[0-9a-f]{8}\.partial$")


@dataclass(frozen=True, slots=True)
class Copied:
    """rclone finished copying a file (``Copied (new)``, ``Copied (replaced existing)``, ...)."""

    path: str
    size: int | None


@dataclass(frozen=True, slots=True)
class Removed:
    """A file left its place on the remote: moved (to versions) or deleted."""

    path: str
    how: str  # "moved" | "deleted"


@dataclass(frozen=True, slots=True)
class Failed:
    """An error about one file."""

    path: str
    message: str


@dataclass(frozen=True, slots=True)
class Transferring:
    path: str
    bytes_done: int
    size: int


@dataclass(frozen=True, slots=True)
class Stats:
    """One periodic (and the final) stats record of the whole command."""

    bytes_done: int
    total_bytes: int
    speed: float
    eta_seconds: float | None
    errors: int
    last_error: str
    transferring: tuple[Transferring, ...]


@dataclass(frozen=True, slots=True)
class Message:
    """Anything else: notices, general errors, plain text lines."""

    level: str
    text: str
    path: str | None = None

    @property
    def is_error(self) -> bool:
        return self.level in ("error", "critical", "fatal")


LogRecord = Copied | Removed | Failed | Stats | Message


def file_of(name: str) -> str:
    """The real file name behind rclone's temporary upload name (or the name itself)."""
    match = _PARTIAL.match(name)
    return match.group("name") if match else name


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


def _stats(data: dict[str, Any]) -> Stats:
    eta = data.get("eta")
    transferring = tuple(
        Transferring(str(item.get("name", "")), _int(item.get("bytes")), _int(item.get("size")))
        for item in data.get("transferring") or ()
        if isinstance(item, dict)
    )
    speed = data.get("speed")
    return Stats(
        bytes_done=_int(data.get("bytes")),
        total_bytes=_int(data.get("totalBytes")),
        speed=float(speed) if isinstance(speed, int | float) else 0.0,
        eta_seconds=float(eta) if isinstance(eta, int | float) else None,
        errors=_int(data.get("errors")),
        last_error=str(data.get("lastError") or ""),
        transferring=transferring,
    )


def parse_line(line: str) -> LogRecord | None:
    """One stderr line as a record; None for a blank line."""
    text = line.strip()
    if not text:
        return None
    if not text.startswith("{"):
        level = "error" if (" ERROR " in text or "CRITICAL" in text) else "notice"
        return Message(level, text)
    try:
        data = json.loads(text)
    except ValueError:
        return Message("notice", text)
    if not isinstance(data, dict):
        return Message("notice", text)
    level = str(data.get("level", "notice"))
    msg = str(data.get("msg", "")).strip()
    stats = data.get("stats")
    if isinstance(stats, dict):
        return _stats(stats)
    obj = data.get("object")
    is_file = isinstance(obj, str) and obj and str(data.get("objectType", "")).endswith("Object")
    if not is_file:
        return Message(level, msg, obj if isinstance(obj, str) and obj else None)
    path = file_of(str(obj))
    if level in ("error", "critical", "fatal"):
        return Failed(path, msg)
    if msg.startswith("Copied"):
        size = data.get("size")
        return Copied(path, size if isinstance(size, int) else None)
    if msg.startswith("Moved"):
        return Removed(path, "moved")
    if msg.startswith("Deleted"):
        return Removed(path, "deleted")
    return Message(level, msg, path)
