"""Reading a profile's daily log files (``LOG-YYYY-MM-DD.txt``) for the Log tab. Pure Python, no Qt:
the tab calls these in a worker thread and shows the result.

A file is read from its end (``read_tail``): a 50 MB log opens as fast as a small one, and earlier
parts are read on request (``read_before``). While a run writes, ``read_from`` picks up what was
added since the last look, complete lines only. Every line is masked with the secrets the window
knows (``engine.tools.redact``), as the files themselves were when written.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from engine.core.report import human_bytes
from engine.tools.redact import redact

TAIL_BYTES = 1024 * 1024  # what a file opens with: its newest megabyte
MORE_BYTES = 2 * 1024 * 1024  # each "Show earlier lines"
FOLLOW_BYTES = 256 * 1024  # at most this much new text per look while a run writes
_NAME = re.compile(r"^LOG-(\d{4}-\d{2}-\d{2})\.txt$")
_LEVEL = re.compile(
    r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:[,.]\d+)? +(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b"
)
LEVELS = {name: getattr(logging, name) for name in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")}

Record = tuple[int, str]  # (logging level, line as shown)


@dataclass(frozen=True)
class LogDay:
    day: date
    path: Path
    size: int


@dataclass
class Chunk:
    """Lines read from one file: bytes ``start``–``end`` of a file that had ``size`` bytes."""

    path: Path
    records: list[Record] = field(default_factory=list)
    start: int = 0
    end: int = 0
    size: int = 0
    missing: bool = False


def log_days(folder: Path | None) -> list[LogDay]:
    """The folder's daily files, newest first (an unreadable folder has none)."""
    if folder is None:
        return []
    found = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        match = _NAME.match(entry.name)
        if not match:
            continue
        try:
            found.append(LogDay(date.fromisoformat(match.group(1)), Path(entry.path), entry.stat().st_size))
        except (ValueError, OSError):
            continue
    return sorted(found, key=lambda d: d.day, reverse=True)


def parse(text: str, secrets: Iterable[str] = (), level: int = logging.INFO) -> list[Record]:
    """Lines with their level; a line without a level (a traceback's) takes the one before it."""
    secrets = tuple(secrets)
    records = []
    for line in text.splitlines():
        match = _LEVEL.match(line)
        if match:
            level = LEVELS[match.group(1)]
        records.append((level, redact(line, secrets)))
    return records


def _read(path: Path, start: int, end: int) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(start)
        return handle.read(max(0, end - start))


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def read_tail(path: Path, secrets: Iterable[str] = (), max_bytes: int = TAIL_BYTES) -> Chunk:
    """The newest ``max_bytes`` of a file, from its first whole line."""
    size = _size(path)
    if size is None:
        return Chunk(path, missing=True)
    return read_before(path, size, secrets, max_bytes, size)


def read_before(
    path: Path, end: int, secrets: Iterable[str] = (), max_bytes: int = MORE_BYTES, size: int | None = None
) -> Chunk:
    """The whole lines in the ``max_bytes`` before byte ``end``."""
    start = max(0, end - max_bytes)
    try:
        data = _read(path, start, end)
    except OSError:
        return Chunk(path, missing=True)
    if start > 0:  # begin at a whole line: the part before the first newline belongs earlier
        cut = data.find(b"\n")
        if cut < 0:
            return Chunk(path, [], end, end, size if size is not None else end)
        data, start = data[cut + 1 :], start + cut + 1
    records = parse(data.decode("utf-8", errors="replace"), secrets)
    return Chunk(path, records, start, end, size if size is not None else (_size(path) or end))


def read_from(path: Path, offset: int, secrets: Iterable[str] = (), max_bytes: int = FOLLOW_BYTES) -> Chunk:
    """The whole lines written after byte ``offset`` (a flood: only its newest part)."""
    size = _size(path)
    if size is None:
        return Chunk(path, [], offset, offset, 0, missing=True)
    if size <= offset:
        return Chunk(path, [], offset, offset, size)
    if size - offset > max_bytes:  # too much at once: the newest part, from a whole line
        return read_tail(path, secrets, max_bytes)
    try:
        data = _read(path, offset, size)
    except OSError:
        return Chunk(path, [], offset, offset, size, missing=True)
    cut = data.rfind(b"\n")
    if cut < 0:  # a line still being written: wait for its end
        return Chunk(path, [], offset, offset, size)
    records = parse(data[: cut + 1].decode("utf-8", errors="replace"), secrets)
    return Chunk(path, records, offset, offset + cut + 1, size)


def day_words(day: date, today: date, size: int | None) -> str:
    """``Today — 1.2 MB``, ``Yesterday — 80 KB``, ``Fri 27 Nov 2026 — 3 KB``, ``Today (no file yet)``."""
    name = (
        "Today"
        if day == today
        else "Yesterday"
        if day == today - timedelta(days=1)
        else f"{day:%a} {day.day} {day:%b %Y}"
    )
    return f"{name} (no file yet)" if size is None else f"{name} — {human_bytes(size)}"


def empty_words(profile: str, folder: Path, *, today: bool) -> str:
    """What the Log tab says where a day has no file yet: where the files are, and who writes them."""
    return (
        f"No log for {'today' if today else 'that day'} yet.\n\n{profile or 'This profile'} writes one "
        f"file a day, LOG-YYYY-MM-DD.txt, in\n{folder}\nwhether it runs from this window, the command "
        "line or a schedule. A run started now shows here as it goes."
    )
