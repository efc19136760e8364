"""The state database: run history, the rclone index and retry queue, and what job kinds remember.

One SQLite file (WAL, every change in a transaction, schema versioned by ``PRAGMA user_version``).
A corrupt file is moved aside with a clear message and a fresh one is started; never silently emptied.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.core import testhooks
from engine.core.errors import ToolUnavailable
from engine.core.report import RunReport

log = logging.getLogger("rearguard.state")

# Append only: each entry moves the schema one version up. Never edit a released entry.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        profile TEXT NOT NULL, kind TEXT NOT NULL,
        started TEXT NOT NULL, finished TEXT,
        status TEXT NOT NULL, reason TEXT,
        planned INTEGER NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        failures TEXT NOT NULL DEFAULT '[]',
        trigger TEXT NOT NULL DEFAULT 'manual'
    );
    CREATE INDEX runs_by_profile ON runs(profile, started);
    CREATE TABLE rclone_index (
        profile TEXT NOT NULL, path TEXT NOT NULL,
        size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, uploaded_at TEXT NOT NULL,
        PRIMARY KEY (profile, path)
    ) WITHOUT ROWID;
    CREATE TABLE retry_queue (
        profile TEXT NOT NULL, path TEXT NOT NULL,
        error TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 1,
        first_failure TEXT NOT NULL, last_failure TEXT NOT NULL,
        PRIMARY KEY (profile, path)
    ) WITHOUT ROWID;
    CREATE TABLE exports (
        profile TEXT NOT NULL, item TEXT NOT NULL,
        size INTEGER NOT NULL, exported_at TEXT NOT NULL, location TEXT NOT NULL,
        PRIMARY KEY (profile, item)
    ) WITHOUT ROWID;
    CREATE TABLE schedule_state (
        profile TEXT PRIMARY KEY, next_run TEXT, last_run TEXT, last_good TEXT,
        runs_done INTEGER NOT NULL DEFAULT 0, paused INTEGER NOT NULL DEFAULT 0
    );
    """,
    # 2: the rclone index is only valid for the source and remote it was built against.
    """
    CREATE TABLE rclone_target (
        profile TEXT PRIMARY KEY, source TEXT NOT NULL, remote TEXT NOT NULL
    );
    """,
    # 3: verify runs in the history, and how far each profile's read-back rotation has come.
    """
    ALTER TABLE runs ADD COLUMN run_kind TEXT NOT NULL DEFAULT 'backup';
    CREATE TABLE readback (
        profile TEXT PRIMARY KEY, cursor INTEGER NOT NULL DEFAULT 0, last_sample TEXT,
        pass_started TEXT, covered_since TEXT, files INTEGER NOT NULL DEFAULT 0
    );
    """,
    # 4: notifications waiting for a channel (engine.notify.outbox): the message, never a password
    # or a channel's address; one row per channel and occurrence (dedupe), so nothing goes twice.
    """
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL, dedupe TEXT NOT NULL, profile TEXT,
        created TEXT NOT NULL, message TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
        claimed TEXT, sent TEXT,
        UNIQUE (channel, dedupe)
    );
    CREATE INDEX outbox_waiting ON outbox(state, channel, id);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)
_FAILURES_KEPT = 200
BUSY_TIMEOUT_S = 15.0  # how long to wait while another program holds the database's lock
# What SQLite says about a file that is damaged; any other error (locked, cannot be opened, read-only)
# is about access to a file that may be perfectly good, which must never be moved aside.
_DAMAGED = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


class StateCorrupt(Exception):
    """The database file is not a usable Rearguard state database."""


def _primary_code(error: sqlite3.Error) -> int:
    """SQLite's primary result code of an error (extended codes carry it in the low byte)."""
    return int(getattr(error, "sqlite_errorcode", -1)) & 0xFF


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class RunRow:
    id: int
    profile: str
    kind: str
    started: str
    finished: str | None
    status: str
    reason: str | None
    planned: int
    done: int
    skipped: int
    failed: int
    bytes: int
    failures: list[dict[str, str]]
    trigger: str
    run_kind: str = "backup"  # "backup" | "verify"


def _run_row(row: tuple[Any, ...]) -> RunRow:
    return RunRow(
        id=row[0],
        profile=row[1],
        kind=row[2],
        started=row[3],
        finished=row[4],
        status=row[5],
        reason=row[6],
        planned=row[7],
        done=row[8],
        skipped=row[9],
        failed=row[10],
        bytes=row[11],
        failures=json.loads(row[12] or "[]"),
        trigger=row[13],
        run_kind=row[14] if len(row) > 14 else "backup",
    )


class StateDB:
    """A connection to the state database. One per thread; use ``with db.transaction():``."""

    def __init__(self, path: Path, *, notices: list[str] | None = None) -> None:
        self.path = path
        self.notices = notices if notices is not None else []
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = self._open()
        except (sqlite3.DatabaseError, StateCorrupt) as error:
            if isinstance(error, sqlite3.Error) and _primary_code(error) not in _DAMAGED:
                raise self._unavailable(error) from None
            moved = self._move_aside()
            message = (
                f"the state database {path} was unreadable ({error}); it was moved to "
                f"{moved} and a fresh one was started (run history and rclone index reset)"
            )
            log.warning(message)
            self.notices.append(message)
            self.conn = self._open()

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()
            if mode is None:
                raise StateCorrupt("cannot set journal mode")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            check = conn.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise StateCorrupt(f"integrity check failed: {check[0] if check else '?'}")
            self._migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StateCorrupt(f"schema version {version} is newer than this Rearguard knows")
        if version == SCHEMA_VERSION:
            if (
                version
                and conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'runs'").fetchone()[0] != 1
            ):
                raise StateCorrupt("tables are missing")
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _move_aside(self) -> Path:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        os.replace(self.path, aside)
        for suffix in ("-wal", "-shm"):
            extra = Path(str(self.path) + suffix)
            if extra.exists():
                os.replace(extra, Path(str(aside) + suffix))
        return aside

    def _unavailable(self, error: sqlite3.Error) -> ToolUnavailable:
        if _primary_code(error) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            why = f"is in use by another program (waited {BUSY_TIMEOUT_S:g} s)"
        else:
            why = f"cannot be used ({error})"
        return ToolUnavailable(f"the state database {self.path} {why}; nothing was recorded, try again")

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Everything inside commits together or not at all.

        Raises ToolUnavailable when the database stays locked by another program.
        """
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise self._unavailable(error) from None
        try:
            yield self.conn
            testhooks.reached("commit")  # a crash test's kill point; nothing outside those tests
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # --- run history -------------------------------------------------------------------------

    def start_run(self, report: RunReport, trigger: str = "manual") -> int:
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO runs (profile, kind, started, status, trigger, run_kind)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    report.profile,
                    report.kind,
                    report.started.isoformat(),
                    "running",
                    trigger,
                    report.run_kind,
                ),
            )
            return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, report: RunReport) -> None:
        counts = report.counts()
        failures = [item.as_json() for item in report.failures[:_FAILURES_KEPT]]
        with self.transaction() as conn:
            conn.execute(
                "UPDATE runs SET finished = ?, status = ?, reason = ?, planned = ?, done = ?,"
                " skipped = ?, failed = ?, bytes = ?, failures = ? WHERE id = ?",
                (
                    (report.finished or datetime.now(UTC)).isoformat(),
                    report.status,
                    report.reason,
                    counts["planned"],
                    counts["done"],
                    counts["skipped"],
                    counts["failed"],
                    report.bytes_done,
                    json.dumps(failures),
                    run_id,
                ),
            )

    def runs(self, profile: str | None = None, limit: int = 100) -> list[RunRow]:
        query = "SELECT * FROM runs"
        args: tuple[object, ...] = ()
        if profile is not None:
            query += " WHERE profile = ?"
            args = (profile,)
        rows = self.conn.execute(query + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [_run_row(row) for row in rows]

    def last_run(self, profile: str, *, good: bool = False, run_kind: str | None = "backup") -> RunRow | None:
        """The newest finished backup run of ``profile`` (``run_kind="verify"``: verify; None: either)."""
        query = "SELECT * FROM runs WHERE profile = ? AND status != 'running'"
        args: tuple[str, ...] = (profile,)
        if run_kind is not None:
            query += " AND run_kind = ?"
            args = (profile, run_kind)
        if good:
            query += " AND status = 'ok'"
        row = self.conn.execute(query + " ORDER BY id DESC LIMIT 1", args).fetchone()
        return _run_row(row) if row else None

    def mark_interrupted_runs(self, profile: str) -> int:
        """Runs left 'running' by a killed process become 'interrupted' (called under the lock)."""
        with self.transaction() as conn:
            cursor = conn.execute(
                "UPDATE runs SET status = 'interrupted', finished = ?"
                " WHERE profile = ? AND status = 'running'",
                (_now(), profile),
            )
            return cursor.rowcount
