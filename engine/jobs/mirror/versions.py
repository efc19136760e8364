"""The versions folder: replaced and deleted files are moved here instead of being lost.

``<replica>/.rearguard/versions/<run stamp>/<relative path>``, pruned after ``keep_versions``.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine.files.atomic import remove_tree
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


@dataclass(frozen=True, slots=True)
class Pruned:
    """What a prune did: the version folders really removed, and those that stayed (with why)."""

    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def prune_versions(replica: str, keep: timedelta, now: datetime, current: str) -> Pruned:
    """Remove version folders older than ``keep`` (never this run's).

    Only a folder that is really gone counts as removed; one that could not be removed (or only in
    part) is listed in ``failed`` with the reason, for the run to warn about.
    """
    root = Path(versions_root(replica))
    pruned = Pruned()
    if not root.is_dir():
        return pruned
    for folder in sorted(root.iterdir()):
        stamp = parse_versions_stamp(folder.name)
        if stamp is None or folder.name == current or not folder.is_dir() or folder.is_symlink():
            continue
        if now - stamp > keep:
            problem = remove_tree(folder)
            if problem is None:
                pruned.removed.append(str(folder))
                log.info("removed old versions %s", folder.name)
            else:
                pruned.failed.append((str(folder), problem))
    return pruned


def list_version_sets(replica: str) -> list[tuple[datetime, Path]]:
    """Every versions folder with its run time, newest first (for restore)."""
    root = Path(versions_root(replica))
    if not root.is_dir():
        return []
    found = [(stamp, p) for p in root.iterdir() if (stamp := parse_versions_stamp(p.name)) is not None]
    return sorted(found, reverse=True)
