"""Restoring a Revit export: the dated folders under the target hold one ``.rvt`` per exported model.

A model's original place is the Revit Server, not a folder, so an export is copied into a folder
the user picks (from where it is opened in Revit or uploaded again with Revit Server Administrator);
a file it would replace there is kept beside it as ``<name>.replaced-<stamp>``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, time
from pathlib import Path

from engine.core.profiles import RevitSettings
from engine.core.restore import RestoreEntry, RestorePoint
from engine.files.atomic import is_temp_name
from engine.files.copy_out import aside_name, copy_out
from engine.files.pathsafety import join_inside
from engine.files.versions import versions_stamp
from engine.jobs.revit.model_paths import os_path
from engine.jobs.revit.retention import dated_folders

IN_PLACE = False


def _entries(folder: Path) -> tuple[RestoreEntry, ...]:
    found = []
    for here, dirs, files in os.walk(os_path(str(folder))):
        dirs[:] = [d for d in dirs if not is_temp_name(d)]
        base = Path(here)
        found += [RestoreEntry((base / d).relative_to(folder).as_posix(), 0, True) for d in dirs]
        for name in files:
            if is_temp_name(name):
                continue
            try:
                info = (base / name).lstat()
            except OSError:
                continue
            relative = (base / name).relative_to(folder).as_posix()
            found.append(RestoreEntry(relative, info.st_size, False, info.st_mtime))
    return tuple(sorted(found, key=lambda e: e.path))


def restore_points(settings: RevitSettings) -> list[RestorePoint]:
    """One point per dated export folder, newest day first (its time: the start of that day)."""
    points = []
    for day, folder in dated_folders(os.path.expanduser(settings.target)).items():
        run = datetime.combine(day, time(0, 0)).astimezone()
        points.append(RestorePoint(run, day.isoformat(), _entries(Path(folder)), Path(folder)))
    return points


def original_place(settings: RevitSettings, path: str) -> Path | None:
    """None: a model goes back to the server through Revit, not by copying a file."""
    return None


def restore_entry(
    settings: RevitSettings, point: RestorePoint, entry: RestoreEntry, target: Path, *, overwrite: bool
) -> int:
    """Copy an exported model (or a folder of them) to ``target``."""
    if point.folder is None:
        raise ValueError("a Revit export folder is a local folder")
    item = join_inside(point.folder, entry.path)
    stamp = versions_stamp(datetime.now(UTC))
    return copy_out(
        item, target, overwrite=overwrite, keep_aside=lambda old: os.replace(old, aside_name(old, stamp))
    )
