"""Reading the server's model table (``ModelLocationTable.db3``) strictly read-only.

A plain ``sqlite3.connect()`` on a wrong path silently creates an empty database that "has no
models" — the worst failure for a backup tool. Here every SQLite file of the server is opened
through a ``mode=ro`` URI, a missing file is an error naming its path, and a file without
``ModelStorageTable`` is not a model table. The server may be writing while we read: a locked
database is retried once.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote

from engine.core.errors import ProfileError

TABLE = "ModelStorageTable"
LOCKED_RETRY_PAUSE = 0.5  # seconds before the one retry of a locked database
BUSY_TIMEOUT = 2.0  # seconds SQLite itself waits on a lock before giving up

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TableRow:
    """One row of ModelStorageTable, in table order (``number`` counts from 1)."""

    number: int
    path: object  # ModelPath as stored: normally text, but nothing is assumed
    normalized: str | None
    guid: str | None


def readonly_uri(path: str, platform: str = sys.platform) -> str:
    """An SQLite URI that opens the absolute ``path`` read-only and never creates it.

    Drive paths become ``file:///C:/...`` and UNC paths ``file:////server/share/...`` (SQLite
    wants an empty URI authority); ``?``, ``#``, ``%`` and non-ASCII characters are escaped.
    """
    if platform == "win32":
        if path.startswith("\\\\?\\UNC\\"):
            path = "\\\\" + path[8:]
        elif path.startswith("\\\\?\\"):
            path = path[4:]
        spelled = path.replace("\\", "/")
        if not spelled.startswith("/"):
            spelled = "/" + spelled
    else:
        spelled = path
    return "file://" + quote(spelled, safe="/:") + "?mode=ro"


def connect_readonly(path: str, busy_timeout: float = BUSY_TIMEOUT) -> sqlite3.Connection:
    """Open an existing SQLite file read-only (raises sqlite3.Error; never creates a file)."""
    return sqlite3.connect(
        readonly_uri(os.path.abspath(path)), uri=True, timeout=busy_timeout, check_same_thread=False
    )


def is_locked_error(error: sqlite3.Error) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def with_lock_retry(read: Callable[[], T], pause: float = LOCKED_RETRY_PAUSE) -> T:
    """Run ``read``; when the database is locked, wait ``pause`` seconds and try once more."""
    try:
        return read()
    except sqlite3.OperationalError as error:
        if not is_locked_error(error):
            raise
    time.sleep(pause)
    return read()


def _guid_text(value: object) -> str | None:
    if isinstance(value, bytes | bytearray) and len(value) == 16:
        return str(uuid.UUID(bytes_le=bytes(value)))
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _read_rows(path: str, busy_timeout: float) -> list[TableRow]:
    conn = connect_readonly(path, busy_timeout)
    try:
        found = conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?", (TABLE,)
        ).fetchone()
        if found is None:
            raise _NotAModelTable(f"has no {TABLE} table, so it is not a Revit Server model table")
        columns = {row[1] for row in conn.execute(f"PRAGMA table_info({TABLE})")}
        if "ModelPath" not in columns:
            raise _NotAModelTable(f"its {TABLE} has no ModelPath column")
        normalized = "ModelNormalizedPath" if "ModelNormalizedPath" in columns else "NULL"
        guid = "ModelIdentityGUID" if "ModelIdentityGUID" in columns else "NULL"
        cursor = conn.execute(f"SELECT ModelPath, {normalized}, {guid} FROM {TABLE} ORDER BY rowid")
        return [
            TableRow(number, raw, norm if isinstance(norm, str) else None, _guid_text(ident))
            for number, (raw, norm, ident) in enumerate(cursor, start=1)
        ]
    finally:
        conn.close()


class _NotAModelTable(Exception):
    pass


def read_model_table(
    path: str, source: str, *, busy_timeout: float = BUSY_TIMEOUT, pause: float = LOCKED_RETRY_PAUSE
) -> list[TableRow]:
    """Every row of the model table at ``path``, in table order.

    Raises ProfileError (exit 2) naming the path when the file is missing, unreadable or not a
    model table; ``source`` is the profile the path came from.
    """
    where = "[revit].model_table"
    if not os.path.exists(path):
        raise ProfileError(source, [f"{where}: model table not found: {path}"])
    if not os.path.isfile(path):
        raise ProfileError(source, [f"{where}: {path} is not a file"])
    try:
        return with_lock_retry(lambda: _read_rows(path, busy_timeout), pause)
    except _NotAModelTable as error:
        raise ProfileError(source, [f"{where}: {path} {error}"]) from None
    except sqlite3.DatabaseError as error:
        if isinstance(error, sqlite3.OperationalError) and is_locked_error(error):
            reason = "is locked by the server (tried twice); try again later"
        else:
            reason = f"is not a readable Revit Server model table ({error})"
        raise ProfileError(source, [f"{where}: {path} {reason}"]) from None
