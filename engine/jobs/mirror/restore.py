"""Restoring from a mirror's versions folder: a file or folder out of
``<replica>/.rearguard/versions/<run stamp>/<relative path>`` back to its original place (the
profile's source) or into a folder the user picks.

A file the restore replaces in the source is first kept in the replica's versions folder (a set
stamped with the restore's time), so it can be restored in turn; elsewhere it is kept beside
itself as ``<name>.replaced-<stamp>``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from engine.core.profiles import MirrorSettings
from engine.core.restore import RestoreEntry, RestorePoint
from engine.files.copy_out import aside_name, copy_one, copy_out
from engine.files.pathsafety import is_within, join_inside
from engine.files.versions import versions_stamp
from engine.jobs.mirror.versions import list_version_sets, versions_root

IN_PLACE = True


def _entries(folder: Path) -> tuple[RestoreEntry, ...]:
    found = []
    for here, dirs, files in os.walk(folder):
        base = Path(here)
        for name in dirs:
            found.append(RestoreEntry((base / name).relative_to(folder).as_posix(), 0, True))
        for name in files:
            path = base / name
            try:
                info = path.lstat()
            except OSError:
                continue
            relative = path.relative_to(folder).as_posix()
            found.append(RestoreEntry(relative, info.st_size, False, info.st_mtime))
    return tuple(sorted(found, key=lambda e: e.path))


def restore_points(settings: MirrorSettings) -> list[RestorePoint]:
    """The replica's version sets, newest run first."""
    replica = os.path.expanduser(settings.replica)
    return [
        RestorePoint(run, folder.name, _entries(folder), folder) for run, folder in list_version_sets(replica)
    ]


def original_place(settings: MirrorSettings, path: str) -> Path:
    """Where ``path`` (relative to a version set) lived: the same relative path under the source."""
    return join_inside(Path(os.path.expanduser(settings.source)), path)


def restore_entry(
    settings: MirrorSettings, point: RestorePoint, entry: RestoreEntry, target: Path, *, overwrite: bool
) -> int:
    """Copy ``entry`` of ``point`` to ``target``, keeping every file it replaces."""
    if point.folder is None:
        raise ValueError("a mirror's version set is a local folder")
    item = join_inside(point.folder, entry.path)
    source = Path(os.path.expanduser(settings.source))
    stamp = versions_stamp(datetime.now(UTC))
    kept_set = Path(versions_root(os.path.expanduser(settings.replica))) / stamp

    def keep(existing: Path) -> None:
        if is_within(existing, source):
            relative = existing.resolve().relative_to(source.resolve()).as_posix()
            copy_one(existing, join_inside(kept_set, relative))
        else:
            os.replace(existing, aside_name(existing, stamp))

    return copy_out(item, target, overwrite=overwrite, keep_aside=keep)
