"""How times read, and the next run the profile list shows: the engine's rule, not one of its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from engine.core.folders import Folders
from engine.core.profile_store import save_profile
from engine.core.profiles import MirrorProfile
from engine.core.state import StateDB
from engine.schedule.slots import BACKOFF
from gui.profile_list import gather_rows
from gui.when import describe, describe_age, describe_eta

TZ = timezone(timedelta(hours=1))
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=TZ)


def test_times_read_like_speech() -> None:
    assert describe(NOW.replace(hour=8, minute=5), NOW) == "today 08:05"
    assert describe(NOW - timedelta(days=1), NOW) == "yesterday 10:30"
    assert describe(NOW + timedelta(days=1), NOW) == "tomorrow 10:30"
    assert describe(None, NOW) == "never"
    assert describe_age(timedelta(hours=50)) == "2 days"
    assert describe_eta(41) == "0:41" and describe_eta(3730) == "1:02:10" and describe_eta(None) == "—"


def _profile(folders: Folders, tmp_path: Path, name: str, schedule: dict[str, object] | None) -> None:
    spec = MirrorProfile.model_validate(
        {
            "kind": "mirror",
            **({"schedule": schedule} if schedule else {}),
            "mirror": {"source": str(tmp_path / "src"), "replica": str(tmp_path / f"rep-{name}")},
        }
    )
    save_profile(folders, name, spec)


def _ran(folders: Folders, name: str, started: datetime, status: str) -> None:
    db = StateDB(folders.state_db)
    try:
        with db.transaction() as conn:
            conn.execute(
                "INSERT INTO runs (profile, kind, started, finished, status, trigger)"
                " VALUES (?, 'mirror', ?, ?, ?, 'schedule')",
                (name, started.isoformat(), started.isoformat(), status),
            )
    finally:
        db.close()


def test_the_list_shows_the_engines_next_run_before_the_scheduler_ticks(
    folders: Folders, tmp_path: Path
) -> None:
    now = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)
    _profile(folders, tmp_path, "Manual", None)
    _profile(folders, tmp_path, "Fresh", {"every": "4h"})
    _profile(folders, tmp_path, "Failing", {"every": "4h"})
    _profile(folders, tmp_path, "Done", {"every": "1h", "max_runs": 1})
    _ran(folders, "Failing", now - timedelta(hours=2), "ok")
    _ran(folders, "Failing", now - timedelta(minutes=1), "failed")
    _ran(folders, "Done", now - timedelta(hours=2), "ok")
    rows = {row.name: row for row in gather_rows(folders, now)}
    assert rows["Manual"].next_run is None  # no schedule: only when asked
    assert rows["Fresh"].next_run == now  # never run: due now
    # After a failure the engine backs off (5 min), where a plain "every 4h" would say in 4 hours.
    assert rows["Failing"].next_run == now - timedelta(minutes=1) + BACKOFF[0]
    assert rows["Done"].next_run is None  # max_runs used up: the schedule has ended
