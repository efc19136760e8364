"""The outbox: every notification waits here (a table in the state database) until its channel took it.

Never lost, never twice:
- a message is written (one row per channel) before anything is sent, so a channel that is down, or
  a process that is killed, loses nothing: the next run of any profile, or ``notify test``, sends it;
- a row is unique per channel and occurrence (``dedupe``: the run, or the stale period), so the
  same news is queued once however often it is found;
- a sender claims rows in a transaction before sending, so two processes finishing at the same time
  never send the same row; it is marked sent in a transaction once the channel accepted it. A claim
  left by a killed process expires after ``CLAIM_EXPIRES``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engine.core.state import StateDB

PENDING, SENT, GAVE_UP, SUPERSEDED, DROPPED = "pending", "sent", "gave up", "superseded", "dropped"
CLAIM_EXPIRES = timedelta(minutes=10)
GIVE_UP_AFTER = 5  # a message its channel refused this many times (not a channel that is down)
KEEP_DONE = timedelta(days=400)  # sent rows remember what was sent (dedupe) for this long
_COLUMNS = "id, channel, dedupe, profile, created, message, state, attempts, last_error"


def _stamp(when: datetime) -> str:
    return when.isoformat(timespec="microseconds")


@dataclass(frozen=True)
class OutboxRow:
    id: int
    channel: str
    dedupe: str
    profile: str | None
    created: str
    message: dict[str, Any]
    state: str
    attempts: int
    last_error: str | None


def _row(values: Sequence[Any]) -> OutboxRow:
    return OutboxRow(
        id=int(values[0]),
        channel=str(values[1]),
        dedupe=str(values[2]),
        profile=values[3],
        created=str(values[4]),
        message=json.loads(values[5]),
        state=str(values[6]),
        attempts=int(values[7]),
        last_error=values[8],
    )


def new_claim_token() -> str:
    return os.urandom(6).hex()


def enqueue(
    db: StateDB,
    channel: str,
    dedupe: str,
    message: dict[str, Any],
    now: datetime,
    profile: str | None = None,
) -> bool:
    """Queue ``message`` for ``channel`` unless this occurrence was queued before; True when new."""
    with db.transaction() as conn:
        cursor = conn.execute(
            "INSERT OR IGNORE INTO outbox (channel, dedupe, profile, created, message)"
            " VALUES (?, ?, ?, ?, ?)",
            (channel, dedupe, profile, _stamp(now), json.dumps(message, ensure_ascii=False)),
        )
        return cursor.rowcount == 1


def supersede(db: StateDB, channel: str, profile: str, keep: str) -> int:
    """Waiting rows of ``profile`` on ``channel`` other than ``keep`` are no longer worth sending.

    A health-check ping tells the state now: an old "failed" ping sent after a newer "ok" one would
    be wrong, so only the newest waits.
    """
    with db.transaction() as conn:
        cursor = conn.execute(
            "UPDATE outbox SET state = ? WHERE channel = ? AND profile = ? AND dedupe != ? AND state = ?"
            " AND claimed IS NULL",
            (SUPERSEDED, channel, profile, keep, PENDING),
        )
        return cursor.rowcount


def claim(db: StateDB, channel: str, token: str, now: datetime, limit: int = 20) -> list[OutboxRow]:
    """Take up to ``limit`` waiting rows of ``channel``, oldest first, for this sender only."""
    expired = _stamp(now - CLAIM_EXPIRES)
    mark = f"{_stamp(now)} {token}"
    with db.transaction() as conn:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE channel = ? AND state = ?"
            " AND (claimed IS NULL OR claimed < ?) ORDER BY id LIMIT ?",
            (channel, PENDING, expired, limit),
        ).fetchall()
        conn.executemany("UPDATE outbox SET claimed = ? WHERE id = ?", [(mark, r[0]) for r in rows])
    return [_row(r) for r in rows]


def mark_sent(db: StateDB, row_id: int, now: datetime) -> None:
    """The channel took it: never sent again. The message itself is no longer needed (only its key)."""
    with db.transaction() as conn:
        conn.execute(
            "UPDATE outbox SET state = ?, sent = ?, claimed = NULL, attempts = attempts + 1,"
            " last_error = NULL, message = '{}' WHERE id = ?",
            (SENT, _stamp(now), row_id),
        )


def release(db: StateDB, row_ids: Sequence[int], error: str | None, *, tried: Sequence[int] = ()) -> None:
    """Give rows back to the outbox (the channel is down); ``tried`` ones count an attempt."""
    with db.transaction() as conn:
        for row_id in row_ids:
            bump = 1 if row_id in tried else 0
            conn.execute(
                "UPDATE outbox SET claimed = NULL, attempts = attempts + ?,"
                " last_error = COALESCE(?, last_error) WHERE id = ?",
                (bump, error if bump else None, row_id),
            )


def refused(db: StateDB, row: OutboxRow, error: str) -> bool:
    """The channel refused this message itself; after ``GIVE_UP_AFTER`` refusals it stops trying."""
    give_up = row.attempts + 1 >= GIVE_UP_AFTER
    with db.transaction() as conn:
        conn.execute(
            "UPDATE outbox SET claimed = NULL, attempts = attempts + 1, last_error = ?, state = ?"
            " WHERE id = ?",
            (error, GAVE_UP if give_up else PENDING, row.id),
        )
    return give_up


def drop(db: StateDB, row_id: int, why: str) -> None:
    """A row that can no longer be sent (its channel or profile is gone)."""
    with db.transaction() as conn:
        conn.execute(
            "UPDATE outbox SET state = ?, claimed = NULL, last_error = ? WHERE id = ?", (DROPPED, why, row_id)
        )


def waiting(db: StateDB, channel: str | None = None) -> list[OutboxRow]:
    """Every row still to be sent, oldest first (the window shows them when there are any)."""
    query = f"SELECT {_COLUMNS} FROM outbox WHERE state = ?"
    args: tuple[str, ...] = (PENDING,)
    if channel is not None:
        query += " AND channel = ?"
        args = (PENDING, channel)
    return [_row(r) for r in db.conn.execute(query + " ORDER BY id", args).fetchall()]


def waiting_channels(db: StateDB) -> list[str]:
    rows = db.conn.execute("SELECT DISTINCT channel FROM outbox WHERE state = ?", (PENDING,)).fetchall()
    return sorted(str(r[0]) for r in rows)


def prune(db: StateDB, now: datetime) -> int:
    """Forget finished rows older than ``KEEP_DONE`` (their occurrence will not come back)."""
    with db.transaction() as conn:
        cursor = conn.execute(
            "DELETE FROM outbox WHERE state != ? AND created < ?", (PENDING, _stamp(now - KEEP_DONE))
        )
        return cursor.rowcount
