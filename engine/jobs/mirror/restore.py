"""Restoring from a mirror's versions folder: copy a file or folder out of
``<replica>/.rearguard/versions/<run stamp>/<relative path>`` back to its original place (the
profile's source) or to a folder the user picks.

Every file goes to a temporary name beside its target and is renamed into place when complete, so
an interrupted restore never leaves a half-written file. Nothing is overwritten unless the caller
says so: without ``overwrite``, a restore that would replace an existing file is refused before
anything is written, with the list of those files.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from engine.files.atomic import temp_path_for
from engine.jobs.mirror.versions import list_version_sets


class RestoreConflict(Exception):
    """The restore would replace existing files; ``existing`` lists them (at most a few hundred)."""

    def __init__(self, existing: list[Path]) -> None:
        self.existing = existing
        shown = ", ".join(str(p) for p in existing[:3]) + ("…" if len(existing) > 3 else "")
        super().__init__(f"{len(existing)} file(s) already exist: {shown}")


@dataclass(frozen=True)
class VersionSet:
    """One run's versions folder: what that run replaced or deleted."""

    run: datetime
    folder: Path

    def entries(self) -> list[Path]:
        """Paths relative to the set (files and folders), sorted, for browsing."""
        return sorted(p.relative_to(self.folder) for p in self.folder.rglob("*"))


def version_sets(replica: str | Path) -> list[VersionSet]:
    """The replica's version sets, newest run first."""
    return [VersionSet(run, folder) for run, folder in list_version_sets(str(replica))]


def original_place(source_root: str | Path, version_set: VersionSet, item: Path) -> Path:
    """Where ``item`` (inside a version set) lived: the same relative path under the source."""
    relative = item.relative_to(version_set.folder) if item.is_absolute() else item
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"not inside the versions folder: {item}")
    return Path(source_root) / relative


def _files(item: Path) -> Iterator[Path]:
    if item.is_dir() and not item.is_symlink():
        for folder, _dirs, names in os.walk(item):
            for name in sorted(names):
                yield Path(folder) / name
    else:
        yield item


def plan_restore(item: Path, target: Path) -> list[tuple[Path, Path]]:
    """(from, to) for every file of ``item`` (a file or a folder) restored as ``target``."""
    if item.is_dir() and not item.is_symlink():
        return [(f, target / f.relative_to(item)) for f in _files(item)]
    return [(item, target)]


def conflicts(pairs: list[tuple[Path, Path]]) -> list[Path]:
    """The targets that already exist (a restore would replace them)."""
    return [to for _from, to in pairs if os.path.lexists(to)]


def _copy_one(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path_for(target)
    try:
        shutil.copy2(source, temp, follow_symlinks=False)
        os.replace(temp, target)
    except BaseException:
        if os.path.lexists(temp):
            os.unlink(temp)
        raise


def restore(item: Path, target: Path, *, overwrite: bool = False) -> int:
    """Copy ``item`` (a file or folder from a version set) to ``target``; returns files restored.

    Raises RestoreConflict, writing nothing, when a target file exists and ``overwrite`` is False.
    """
    if not os.path.lexists(item):
        raise FileNotFoundError(f"the version is gone: {item}")
    pairs = plan_restore(item, target)
    existing = conflicts(pairs)
    if existing and not overwrite:
        raise RestoreConflict(existing)
    if item.is_dir() and not item.is_symlink():
        target.mkdir(parents=True, exist_ok=True)
    for source, to in pairs:
        _copy_one(source, to)
    return len(pairs)
