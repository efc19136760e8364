"""A profile's schedule facts in the state database: its run history as the scheduler reads it, and
the ``schedule_state`` row (next run, last runs, runs done, paused) that survives restarts.

The scheduler's rules live in ``engine.schedule.slots``; this module only reads and writes what they need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.core.state import StateDB
from engine.schedule.slots import History

# Outcomes that count as a failure for the back-off; a cancelled run is the user's choice, not one.
FAILED = ("failed", "refused", "unavailable", "interrupted")


@dataclass(frozen=True)
class ScheduleState:
    """One ``schedule_state`` row."""

    profile: str
    next_run: datetime | None = None
    last_run: datetime | None = None
    last_good: datetime | None = None
    runs_done: int = 0
    paused: bool = False


def _stamp(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _text(stamp: datetime | None) -> str | None:
    return stamp.isoformat(timespec="seconds") if stamp is not None else None


def load_history(db: StateDB, profile: str) -> History:
    """What ``engine.schedule.slots.next_run`` needs, read from the runs table.

    ``runs_done`` counts the runs the scheduler started (trigger ``schedule``), so ``max_runs``
    is not used up by runs a person started.
    """
    conn = db.conn
    last = conn.execute(
        "SELECT started FROM runs WHERE profile = ? ORDER BY id DESC LIMIT 1", (profile,)
    ).fetchone()
    good = conn.execute(
        "SELECT id, started FROM runs WHERE profile = ? AND status = 'ok' ORDER BY id DESC LIMIT 1",
        (profile,),
    ).fetchone()
    marks = ",".join("?" * len(FAILED))
    failures = conn.execute(
        f"SELECT COUNT(*) FROM runs WHERE profile = ? AND id > ? AND status IN ({marks})",
        (profile, good[0] if good else 0, *FAILED),
    ).fetchone()
    done = conn.execute(
        "SELECT COUNT(*) FROM runs WHERE profile = ? AND trigger = 'schedule'", (profile,)
    ).fetchone()
    return History(
        last_start=_stamp(last[0]) if last else None,
        last_good=_stamp(good[1]) if good else None,
        failures_since_good=int(failures[0]),
        runs_done=int(done[0]),
    )


def read_state(db: StateDB, profile: str) -> ScheduleState | None:
    """The saved schedule row of a profile, or None when it has none yet."""
    row = db.conn.execute(
        "SELECT next_run, last_run, last_good, runs_done, paused FROM schedule_state WHERE profile = ?",
        (profile,),
    ).fetchone()
    if row is None:
        return None
    return ScheduleState(profile, _stamp(row[0]), _stamp(row[1]), _stamp(row[2]), int(row[3]), bool(row[4]))


def write_state(db: StateDB, state: ScheduleState) -> None:
    """Save (insert or replace) a profile's schedule row."""
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO schedule_state (profile, next_run, last_run, last_good, runs_done, paused)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(profile) DO UPDATE SET next_run = excluded.next_run,"
            " last_run = excluded.last_run, last_good = excluded.last_good,"
            " runs_done = excluded.runs_done, paused = excluded.paused",
            (
                state.profile,
                _text(state.next_run),
                _text(state.last_run),
                _text(state.last_good),
                state.runs_done,
                int(state.paused),
            ),
        )


def state_from(profile: str, history: History, due: datetime | None, *, paused: bool) -> ScheduleState:
    """The row that describes a profile's schedule after the scheduler looked at it."""
    return ScheduleState(
        profile=profile,
        next_run=due,
        last_run=history.last_start,
        last_good=history.last_good,
        runs_done=history.runs_done,
        paused=paused,
    )


def first_run(db: StateDB, profile: str) -> datetime | None:
    """When the profile first ran (the alert for "never a good run" counts from there)."""
    row = db.conn.execute(
        "SELECT started FROM runs WHERE profile = ? ORDER BY id LIMIT 1", (profile,)
    ).fetchone()
    return _stamp(row[0]) if row else None
