"""One way to name and read a versions folder: ``<target>/.rearguard/versions/<run stamp>/``.

Every kind that keeps replaced or deleted files (the mirror on its replica, rclone on its remote)
names a run's folder with ``versions_stamp`` and reads it back with ``parse_versions_stamp``.
The stamp is the run's start in UTC to the microsecond, so two runs within one second never share a
folder; the older stamp without microseconds is still read.
"""

from __future__ import annotations

from datetime import UTC, datetime

VERSIONS_FOLDER = ".rearguard/versions"  # below the target's root, '/'-separated
STAMP_FORMAT = "%Y-%m-%dT%H%M%S.%fZ"  # 2026-11-26T225155.123456Z
_READABLE_FORMATS = (STAMP_FORMAT, "%Y-%m-%dT%H%M%SZ")


def versions_stamp(started: datetime) -> str:
    """The name of a run's versions folder: its start in UTC, to the microsecond."""
    return started.astimezone(UTC).strftime(STAMP_FORMAT)


def parse_versions_stamp(name: str) -> datetime | None:
    """The run time a versions folder's name stands for (None for any other name)."""
    for form in _READABLE_FORMATS:
        try:
            return datetime.strptime(name, form).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None
