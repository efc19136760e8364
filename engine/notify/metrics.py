"""Prometheus metrics: a text file in the exposition format that node_exporter's textfile collector
reads, rewritten atomically after every run (a scrape never sees half a file).

Per profile (labels ``profile`` and ``kind``): the last backup run's end time, status, bytes,
duration and failed items, the time of the last good run (0: never) and whether it is overdue.
Profiles are those in the profiles folder, plus any that ran in the last ``RECENT`` (quick mirrors).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from engine.core.app_settings import AppSettings
from engine.core.folders import Folders
from engine.core.profiles import list_profiles
from engine.core.state import StateDB
from engine.files.atomic import atomic_write_text
from engine.notify.overdue import overdue_alert, stamp

RECENT = timedelta(days=35)
STATUSES = ("ok", "failed", "refused", "unavailable", "cancelled", "stopped", "interrupted")


@dataclass(frozen=True)
class ProfileMetrics:
    profile: str
    kind: str
    last_end: float | None = None
    status: str | None = None
    bytes: int = 0
    duration: float = 0.0
    failed: int = 0
    last_good: float | None = None
    overdue: bool = False


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


_GAUGES = (
    ("rearguard_last_run_timestamp_seconds", "End of the profile's last backup run (Unix time)."),
    ("rearguard_last_run_status", "Status of the last backup run: 1 for its status, 0 for the others."),
    ("rearguard_last_run_success", "1 when the last backup run was good, else 0."),
    ("rearguard_last_run_bytes", "Bytes the last backup run copied, uploaded or exported."),
    ("rearguard_last_run_duration_seconds", "How long the last backup run took."),
    ("rearguard_last_run_failed_items", "Items the last backup run could not back up."),
    ("rearguard_last_good_run_timestamp_seconds", "Start of the last good backup run (Unix time; 0: never)."),
    ("rearguard_overdue", "1 when the profile has had no good run for its alert period."),
)


def render(rows: list[ProfileMetrics]) -> str:
    """The exposition text: HELP and TYPE once per metric, then one sample per profile."""
    out: list[str] = []
    for name, help_text in _GAUGES:
        out += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        for row in rows:
            labels = f'profile="{_label(row.profile)}",kind="{_label(row.kind)}"'
            if name == "rearguard_last_good_run_timestamp_seconds":
                out.append(f"{name}{{{labels}}} {_number(row.last_good or 0)}")
            elif name == "rearguard_overdue":
                out.append(f"{name}{{{labels}}} {int(row.overdue)}")
            elif row.status is None:
                continue  # never ran: no last run to describe
            elif name == "rearguard_last_run_status":
                out += [f'{name}{{{labels},status="{s}"}} {int(s == row.status)}' for s in STATUSES]
            else:
                value = {
                    "rearguard_last_run_timestamp_seconds": row.last_end or 0,
                    "rearguard_last_run_success": int(row.status == "ok"),
                    "rearguard_last_run_bytes": row.bytes,
                    "rearguard_last_run_duration_seconds": row.duration,
                    "rearguard_last_run_failed_items": row.failed,
                }[name]
                out.append(f"{name}{{{labels}}} {_number(value)}")
    return "\n".join(out) + "\n"


def collect(folders: Folders, db: StateDB, now: datetime) -> list[ProfileMetrics]:
    """Every profile's figures from the run history."""
    kinds = {e.name: e.profile.kind for e in list_profiles(folders) if e.profile is not None}
    recent = db.conn.execute(
        "SELECT profile, kind FROM runs WHERE run_kind = 'backup' AND started >= ? GROUP BY profile",
        ((now - RECENT).isoformat(),),
    ).fetchall()
    for name, kind in recent:
        kinds.setdefault(str(name), str(kind))
    settings = AppSettings.load(folders.data)
    rows = []
    for name in sorted(kinds):
        last = db.last_run(name)
        good = db.last_run(name, good=True)
        good_at = stamp(good.started) if good else None
        overdue = overdue_alert(db, name, now, settings.alert_after_days(name)) is not None
        if last is None:
            rows.append(ProfileMetrics(name, kinds[name], last_good=None, overdue=overdue))
            continue
        started, finished = stamp(last.started), stamp(last.finished)
        duration = (finished - started).total_seconds() if started and finished else 0.0
        rows.append(
            ProfileMetrics(
                profile=name,
                kind=kinds[name],
                last_end=finished.timestamp() if finished else None,
                status=last.status,
                bytes=last.bytes,
                duration=max(0.0, round(duration, 3)),
                failed=last.failed,
                last_good=good_at.timestamp() if good_at else None,
                overdue=overdue,
            )
        )
    return rows


def write_metrics(folders: Folders, path: Path, db: StateDB, now: datetime) -> Path:
    """Rewrite the metrics file atomically (temporary name beside it, then rename). Raises OSError."""
    atomic_write_text(path, render(collect(folders, db, now)))
    return path
