"""What the state database remembers about a Revit profile's exports.

- ``exports``: the last good export per model (size, time, file), to spot a suspiciously small
  new export.
- ``retry_queue``: models whose export did not succeed, or was planned by a run that never
  finished. They are exported on the next run even when their last edit has left the window by
  then, so a failure is never silently forgotten.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from engine.core.state import StateDB


@dataclass(frozen=True, slots=True)
class PreviousExport:
    size: int
    exported_at: str
    location: str


@dataclass(frozen=True, slots=True)
class PendingRetry:
    error: str
    attempts: int
    last_failure: str


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """A verified export to remember (``item`` is the model path as the table gives it)."""

    item: str
    size: int
    location: str


def previous_exports(state: StateDB, profile: str) -> dict[str, PreviousExport]:
    rows = state.conn.execute(
        "SELECT item, size, exported_at, location FROM exports WHERE profile = ?", (profile,)
    )
    return {item: PreviousExport(size, at, where) for item, size, at, where in rows}


def pending_retries(state: StateDB, profile: str) -> dict[str, PendingRetry]:
    rows = state.conn.execute(
        "SELECT path, error, attempts, last_failure FROM retry_queue WHERE profile = ?", (profile,)
    )
    return {path: PendingRetry(error, attempts, last) for path, error, attempts, last in rows}


def mark_pending(state: StateDB, profile: str, items: Iterable[str], when: datetime) -> None:
    """Note models a real run is about to export, before anything can go wrong.

    If the run then stops early (tool missing, target offline, process killed), they stay in
    the retry queue and the next run exports them even when they have left the window. A model
    already queued keeps its earlier error.
    """
    stamp = when.isoformat(timespec="seconds")
    with state.transaction() as conn:
        conn.executemany(
            "INSERT INTO retry_queue (profile, path, error, attempts, first_failure, last_failure)"
            " VALUES (?, ?, 'not exported yet: the run that planned it did not finish', 0, ?, ?)"
            " ON CONFLICT (profile, path) DO NOTHING",
            [(profile, item, stamp, stamp) for item in items],
        )


def record_run(
    state: StateDB,
    profile: str,
    when: datetime,
    *,
    exported: Iterable[ExportRecord],
    failed: Iterable[tuple[str, str]],
    models_in_table: set[str],
) -> None:
    """Remember good exports, queue failures for retry, forget retries of models now gone.

    All in one transaction: a crash leaves the previous state, never half of this run's.
    """
    stamp = when.isoformat(timespec="seconds")
    with state.transaction() as conn:
        for record in exported:
            conn.execute(
                "INSERT INTO exports (profile, item, size, exported_at, location)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (profile, item) DO UPDATE SET"
                " size = excluded.size, exported_at = excluded.exported_at,"
                " location = excluded.location",
                (profile, record.item, record.size, stamp, record.location),
            )
            conn.execute("DELETE FROM retry_queue WHERE profile = ? AND path = ?", (profile, record.item))
        for item, error in failed:
            conn.execute(
                "INSERT INTO retry_queue (profile, path, error, attempts, first_failure,"
                " last_failure) VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (profile, path) DO UPDATE"
                " SET error = excluded.error, attempts = attempts + 1,"
                " last_failure = excluded.last_failure",
                (profile, item, error[:500], stamp, stamp),
            )
        queued = [
            row[0] for row in conn.execute("SELECT path FROM retry_queue WHERE profile = ?", (profile,))
        ]
        for item in queued:
            if item not in models_in_table:
                conn.execute("DELETE FROM retry_queue WHERE profile = ? AND path = ?", (profile, item))
