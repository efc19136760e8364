"""When a profile needs a person's attention: its last run failed or was refused, or it has had
no good run for N days. Pure rules; the GUI shows them as tray messages and a banner.

Each alert has a ``key`` naming its occurrence (the failed run, or the last good run a profile is
stale since), so the GUI tells each one once, however often it looks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

NOT_OK = {
    "failed": "failed",
    "refused": "was refused",
    "unavailable": "could not start (a tool is unavailable)",
    "interrupted": "was interrupted",
}


@dataclass(frozen=True)
class Alert:
    key: str
    profile: str
    title: str
    text: str


def run_alert(
    profile: str, run_id: int, status: str, reason: str | None, run_kind: str = "backup"
) -> Alert | None:
    """An alert for a run (or verify) that did not end well (None for ok, cancelled or running)."""
    words = NOT_OK.get(status)
    if words is None:
        return None
    detail = (reason or "").strip().splitlines()
    if run_kind == "verify":
        words = "found differences" if status == "failed" else words
        text = f"Reading back the backup of '{profile}' {words}" + (f": {detail[0]}" if detail else ".")
        title = (
            f"Backup differs from its source: {profile}"
            if status == "failed"
            else f"Verify {status}: {profile}"
        )
        return Alert(f"run:{profile}:{run_id}", profile, title, text)
    text = f"The last run of '{profile}' {words}" + (f": {detail[0]}" if detail else ".")
    return Alert(f"run:{profile}:{run_id}", profile, f"Backup {status}: {profile}", text)


def stale_alert(
    profile: str,
    last_good: datetime | None,
    first_run: datetime | None,
    now: datetime,
    days: int,
    created: datetime | None = None,
) -> Alert | None:
    """An alert when the profile has had no good run for ``days`` days (0 = never alert).

    Without any good run, the time counts from the profile's creation or its first run, whichever
    came first (never from the epoch): a profile made minutes ago is not overdue.
    """
    if days <= 0:
        return None
    since = last_good or counting_from(first_run, created)
    if since is None or now - since < timedelta(days=days):
        return None
    age = (now - since).days
    if last_good is None:
        how = "first tried" if first_run is not None and since == first_run else "created"
        text = f"'{profile}' has never had a good run ({how} {age} days ago)."
    else:
        text = f"'{profile}' has had no good run for {age} days (alert after {days})."
    stamp = since.isoformat(timespec="seconds")
    return Alert(f"stale:{profile}:{stamp}", profile, f"No good backup: {profile}", text)


def counting_from(first_run: datetime | None, created: datetime | None) -> datetime | None:
    """Since when a profile without a good run has waited for one: its creation or first run."""
    known = [when for when in (first_run, created) if when is not None]
    return min(known) if known else None
