"""The rclone index (what was uploaded: size and mtime_ns per file) and the retry queue, in the state DB.

Reads are plain queries; every change goes through ``record``, which writes a run's confirmed
uploads, its failures and its confirmed deletions in one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from engine.core.state import StateDB
from engine.jobs.rclone.diff import Row


@dataclass(frozen=True, slots=True)
class RetryEntry:
    path: str
    error: str
    attempts: int
    first_failure: str
    last_failure: str


@dataclass
class Changes:
    """What one run learned, to be written at once."""

    uploaded: list[tuple[str, int, int]] = field(default_factory=list)  # (path, size, mtime_ns)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, error)
    removed: list[str] = field(default_factory=list)  # deleted on the remote (moved to versions)
    forget_retries: list[str] = field(default_factory=list)  # no longer in the source


def target_changed(state: StateDB, profile: str, source: str, remote: str) -> bool:
    """True when the index was built for another source or remote (then it must not be trusted)."""
    row = state.conn.execute(
        "SELECT source, remote FROM rclone_target WHERE profile = ?", (profile,)
    ).fetchone()
    return row is not None and tuple(row) != (source, remote)


@dataclass(frozen=True)
class IndexRows:
    """A profile's index rows, read in path ranges: in this process through ``conn``, or in a forked
    scan worker through a connection of its own (``reopened``: SQLite connections must not cross a
    fork). ``trusted`` False: the index describes another source or remote and reads as empty.
    """

    conn: sqlite3.Connection
    path: Path
    profile: str
    trusted: bool = True

    @classmethod
    def of(cls, state: StateDB, profile: str, trusted: bool = True) -> IndexRows:
        return cls(state.conn, state.path, profile, trusted)

    def between(self, start: str = "", end: str | None = None) -> Iterator[Row]:
        """The rows with ``start <= path < end`` (``end`` None: no upper bound), in path order."""
        if not self.trusted:
            return iter(())
        query = "SELECT path, size, mtime_ns FROM rclone_index WHERE profile = ? AND path >= ?"
        if end is None:
            return self.conn.execute(query + " ORDER BY path", (self.profile, start))
        return self.conn.execute(query + " AND path < ? ORDER BY path", (self.profile, start, end))

    def reopened(self) -> IndexRows:
        """The same rows through a new read-only connection: a forked worker's own, kept for its life."""
        conn = sqlite3.connect(f"{self.path.absolute().as_uri()}?mode=ro", uri=True)
        return IndexRows(conn, self.path, self.profile, self.trusted)


def load_index(state: StateDB, profile: str) -> dict[str, tuple[int, int]]:
    """Every indexed file of a profile: path -> (size, mtime_ns)."""
    rows = state.conn.execute("SELECT path, size, mtime_ns FROM rclone_index WHERE profile = ?", (profile,))
    return {path: (size, mtime) for path, size, mtime in rows}


def load_rows(state: StateDB, profile: str, paths: Iterable[str]) -> dict[str, tuple[int, int]]:
    """The index rows of just ``paths`` (those it has): path -> (size, mtime_ns)."""
    out: dict[str, tuple[int, int]] = {}
    for chunk in _chunks(list(paths)):
        marks = ",".join("?" * len(chunk))
        rows = state.conn.execute(
            f"SELECT path, size, mtime_ns FROM rclone_index WHERE profile = ? AND path IN ({marks})",
            (profile, *chunk),
        )
        out.update((path, (size, mtime)) for path, size, mtime in rows)
    return out


def load_wanted(state: StateDB, profile: str, wants: Callable[[str], bool]) -> dict[str, tuple[int, int]]:
    """The index rows whose path ``wants`` accepts, in path order: only those become Python objects."""
    state.conn.create_function("rearguard_wants", 1, wants, deterministic=True)
    rows = state.conn.execute(
        "SELECT path, size, mtime_ns FROM rclone_index WHERE profile = ? AND rearguard_wants(path)"
        " ORDER BY path",
        (profile,),
    )
    return {path: (size, mtime) for path, size, mtime in rows}


def count_index(state: StateDB, profile: str) -> int:
    """How many files the index holds for a profile (what the remote should have)."""
    row = state.conn.execute("SELECT COUNT(*) FROM rclone_index WHERE profile = ?", (profile,)).fetchone()
    return int(row[0])


def load_retries(state: StateDB, profile: str) -> dict[str, RetryEntry]:
    rows = state.conn.execute(
        "SELECT path, error, attempts, first_failure, last_failure FROM retry_queue WHERE profile = ?",
        (profile,),
    )
    return {row[0]: RetryEntry(*row) for row in rows}


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _delete_paths(conn: sqlite3.Connection, table: str, profile: str, paths: list[str]) -> None:
    for chunk in _chunks(paths):
        marks = ",".join("?" * len(chunk))
        conn.execute(
            f"DELETE FROM {table} WHERE profile = ? AND path IN ({marks})",
            (profile, *chunk),
        )


def record(
    state: StateDB, profile: str, changes: Changes, when: str, target: tuple[str, str] | None = None
) -> None:
    """Write a run's results in one transaction: all of them or, on any error, none.

    ``target`` (source, remote) binds the index to what it describes; a new target starts it afresh.
    """
    with state.transaction() as conn:
        if target is not None:
            if target_changed(state, profile, *target):
                conn.execute("DELETE FROM rclone_index WHERE profile = ?", (profile,))
            conn.execute(
                "INSERT INTO rclone_target (profile, source, remote) VALUES (?, ?, ?)"
                " ON CONFLICT (profile) DO UPDATE SET source = excluded.source, remote = excluded.remote",
                (profile, *target),
            )
        conn.executemany(
            "INSERT INTO rclone_index (profile, path, size, mtime_ns, uploaded_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (profile, path) DO UPDATE SET"
            " size = excluded.size, mtime_ns = excluded.mtime_ns, uploaded_at = excluded.uploaded_at",
            ((profile, path, size, mtime, when) for path, size, mtime in changes.uploaded),
        )
        done = [path for path, _, _ in changes.uploaded]
        _delete_paths(conn, "retry_queue", profile, done + changes.removed + changes.forget_retries)
        _delete_paths(conn, "rclone_index", profile, changes.removed)
        conn.executemany(
            "INSERT INTO retry_queue (profile, path, error, attempts, first_failure, last_failure)"
            " VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (profile, path) DO UPDATE SET"
            " error = excluded.error, attempts = retry_queue.attempts + 1,"
            " last_failure = excluded.last_failure",
            ((profile, path, error, when, when) for path, error in changes.failed),
        )
