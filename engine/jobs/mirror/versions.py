"""The versions folder: replaced and deleted files are moved here instead of being lost.

``<replica>/.rearguard/versions/<run stamp>/<relative path>``, pruned after ``keep_versions``.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine.files.versions import VERSIONS_FOLDER, parse_versions_stamp

log = logging.getLogger("rearguard.mirror")


def versions_root(replica: str) -> str:
    return os.path.join(replica, *VERSIONS_FOLDER.split("/"))


def move_to_versions(replica: str, rel: str, stamp: str) -> str:
    """Move ``replica/rel`` (file, link or folder) to this run's versions folder; returns the new path."""
    source = os.path.join(replica, *rel.split("/"))
    destination = os.path.join(versions_root(replica), stamp, *rel.split("/"))
    os.makedirs(os.path.dirname(destination), exist_ok=True)
    if os.path.lexists(destination):  # the same path replaced twice in one run: keep both
        destination += f".{datetime.now(UTC).strftime('%H%M%S%f')}"
    try:
        os.rename(source, destination)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        shutil.move(source, destination)  # replica root spans filesystems: copy, then remove
    return destination


def remove_entry(path: str) -> None:
    """Delete a file, link or folder for good (used only when versions are turned off)."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def prune_versions(replica: str, keep: timedelta, now: datetime, current: str) -> int:
    """Remove version folders older than ``keep`` (never this run's); returns how many."""
    root = Path(versions_root(replica))
    if not root.is_dir():
        return 0
    removed = 0
    for folder in sorted(root.iterdir()):
        stamp = parse_versions_stamp(folder.name)
        if stamp is None or folder.name == current or not folder.is_dir():
            continue
        if now - stamp > keep:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
            log.info("removed old versions %s", folder.name)
    return removed


def list_version_sets(replica: str) -> list[tuple[datetime, Path]]:
    """Every versions folder with its run time, newest first (for restore)."""
    root = Path(versions_root(replica))
    if not root.is_dir():
        return []
    found = [(stamp, p) for p in root.iterdir() if (stamp := parse_versions_stamp(p.name)) is not None]
    return sorted(found, reverse=True)
