"""Overdue profiles: no good backup for their alert period (``engine.core.app_settings`` alert days,
default 3), found from the run history, for every profile at the end of every run, so a server where
nobody opens the window still reports a profile whose schedule stopped. The rule itself is
``engine.notify.alerts.stale_alert``; its key names the stale period, so it is told once per period.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from engine.core.app_settings import AppSettings
from engine.core.folders import Folders
from engine.core.profiles import Profile, list_profiles
from engine.core.state import StateDB
from engine.notify.alerts import Alert, stale_alert


def stamp(text: str | None) -> datetime | None:
    """A time from the state database (naive ones are UTC)."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def backup_times(db: StateDB, profile: str) -> tuple[datetime | None, datetime | None]:
    """(the first backup run's start, the last good backup run's start) of ``profile``."""
    first = db.conn.execute(
        "SELECT MIN(started) FROM runs WHERE profile = ? AND run_kind = 'backup'", (profile,)
    ).fetchone()
    good = db.last_run(profile, good=True)
    return stamp(first[0] if first else None), stamp(good.started if good else None)


def profile_created(path: Path | None) -> datetime | None:
    """When a profile's file was made: its birth time where the system keeps one (Windows, macOS,
    some Linux file systems), else its last change (later than the creation: never too early)."""
    if path is None:
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    born = getattr(info, "st_birthtime", None)
    if born is None and sys.platform == "win32":
        born = info.st_ctime  # the creation time on Windows before Python 3.12
    return datetime.fromtimestamp(born if born else info.st_mtime, UTC)


def overdue_alert(
    db: StateDB, profile: str, now: datetime, days: int, created: datetime | None = None
) -> Alert | None:
    first, good = backup_times(db, profile)
    return stale_alert(profile, good, first, now, days, created)


def overdue_profiles(folders: Folders, db: StateDB, now: datetime) -> list[tuple[Profile, Alert]]:
    """Every profile in the profiles folder that is overdue now, with its alert."""
    settings = AppSettings.load(folders.data)
    found = []
    for entry in list_profiles(folders):
        if entry.profile is None:
            continue
        created = profile_created(entry.path)
        alert = overdue_alert(db, entry.name, now, settings.alert_after_days(entry.name), created)
        if alert is not None:
            found.append((entry.profile, alert))
    return found
