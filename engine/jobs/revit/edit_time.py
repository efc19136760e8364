"""When was a model last edited? The newest entry of its own history, and the window rule.

The reliable source is ``<model folder>/Data/Model.db3``: ``SELECT MAX(Time) FROM ModelHistory``,
UTC text such as ``2024-11-12 17:05:33Z``. Folder mtimes are not used for the decision: the
server's housekeeping touches folders without edits, and copies between servers reset them.
When the history cannot be read the time is *unknown* and the model is exported anyway (a backup
tool errs on copying); the newest file time under ``Data`` is shown for information only.
"""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine.jobs.revit.model_table import connect_readonly, with_lock_retry

HISTORY_DB = ("Data", "Model.db3")
_FRACTION = re.compile(r"(\.\d{6})\d+")


@dataclass(frozen=True, slots=True)
class EditTime:
    """A model's last edit: ``when`` from its history, or None with ``problem`` saying why."""

    when: datetime | None
    problem: str = ""
    data_files_changed: datetime | None = None  # informational only, never decides the window

    @property
    def known(self) -> bool:
        return self.when is not None


def parse_history_time(value: object) -> datetime | None:
    """A ModelHistory ``Time`` as an aware UTC datetime, or None when it is not a time.

    Accepts ``2024-11-12 17:05:33Z``, ISO forms with ``T``, offsets or up to 7 fractional digits
    (.NET ticks); a time without a zone is UTC.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = _FRACTION.sub(r"\1", value.strip())
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _history_max(db: Path) -> object:
    def read() -> object:
        conn = connect_readonly(str(db))
        try:
            row = conn.execute("SELECT MAX(Time) FROM ModelHistory").fetchone()
            return row[0] if row else None
        finally:
            conn.close()

    return with_lock_retry(read)


def _newest_data_file(data: Path) -> datetime | None:
    newest: float | None = None
    try:
        with os.scandir(data) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False):
                    mtime = entry.stat(follow_symlinks=False).st_mtime
                    newest = mtime if newest is None or mtime > newest else newest
    except OSError:
        return None
    return datetime.fromtimestamp(newest, UTC) if newest is not None else None


def read_last_edit(folder: Path) -> EditTime:
    """The model's last edit time from its history database (never raises)."""
    db = folder.joinpath(*HISTORY_DB)
    if not db.is_file():
        return EditTime(None, "the model has no Data\\Model.db3 history", _newest_data_file(db.parent))
    try:
        value = _history_max(db)
    except sqlite3.Error as error:
        return EditTime(None, f"its history cannot be read ({error})", _newest_data_file(db.parent))
    if value is None:
        return EditTime(None, "its history has no times", _newest_data_file(db.parent))
    when = parse_history_time(value)
    if when is None:
        return EditTime(None, f"its history time {value!r} is not understood", _newest_data_file(db.parent))
    return EditTime(when)


def window_start(now: datetime, window_hours: float) -> datetime | None:
    """The oldest edit time inside the window, or None when the window is 0 (all models)."""
    if window_hours <= 0:
        return None
    return now - timedelta(hours=window_hours)


def inside_window(when: datetime, start: datetime | None) -> bool:
    """At or after the boundary is inside."""
    return start is None or when >= start


def describe_age(now: datetime, when: datetime) -> str:
    """How long ago, for people: ``1h ago``, ``23h59m ago``, ``400d ago``, ``in the future``."""
    seconds = int((now - when).total_seconds())
    if seconds < 0:
        return "in the future (clock difference)"
    if seconds < 60:
        return "just now"
    minutes, _ = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days >= 7:
        return f"{days}d ago"
    parts = [(days, "d"), (hours, "h"), (minutes, "m")]
    return "".join(f"{n}{unit}" for n, unit in parts if n) + " ago"


def format_hours(hours: float) -> str:
    return f"{hours:g}h"


def iso_utc(when: datetime | None) -> str | None:
    """``2024-11-12T17:00:00Z`` for JSON, or None."""
    if when is None:
        return None
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
