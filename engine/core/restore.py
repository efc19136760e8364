"""Getting an older copy back: one small API over every kind's kept copies.

- ``restore_points(profile)``: what can be restored, one point per run that kept copies (the
  mirror's and rclone's versions folders, Revit's dated export folders), newest first, each with its
  entries.
- ``original_place(profile, entry)``: where an entry lived (None where that makes no sense: a Revit
  model lives on the server, not in a folder).
- ``restore(profile, point, entry, into=None, overwrite=False)``: copy it back to its original place
  (``into=None``) or into a folder. Nothing is replaced unless ``overwrite``; then the replaced file
  is kept first (under the kind's versions, or beside it), so no restore loses data.

Each kind implements these in ``engine.jobs.<kind>.restore``, found by name like the kinds
themselves; the window calls only this module.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from engine.core.kinds import KIND_MODULES
from engine.core.profiles import Profile
from engine.files.copy_out import RestoreConflict

__all__ = [
    "RestoreConflict",
    "RestoreEntry",
    "RestorePoint",
    "can_restore_in_place",
    "original_place",
    "restore",
    "restore_points",
    "what_happened",
]


@dataclass(frozen=True, slots=True)
class RestoreEntry:
    """One kept file or folder: its path relative to the point (and to the source), '/'-separated."""

    path: str
    size: int = 0
    is_dir: bool = False
    modified: float | None = None  # the kept copy's modification time (epoch seconds), where known

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class RestorePoint:
    """What one run kept: its time, the kind's name for it, its entries, and a local folder if any."""

    run: datetime
    key: str
    entries: tuple[RestoreEntry, ...]
    folder: Path | None = None  # a folder a person can open; None when the copies are on a remote

    @property
    def files(self) -> int:
        return sum(1 for e in self.entries if not e.is_dir)

    @property
    def bytes(self) -> int:
        return sum(e.size for e in self.entries if not e.is_dir)

    def entry(self, path: str) -> RestoreEntry:
        for entry in self.entries:
            if entry.path == path:
                return entry
        raise KeyError(f"{path!r} is not kept by the run of {self.run:%Y-%m-%d %H:%M}")


class KindRestore(Protocol):
    IN_PLACE: bool

    def restore_points(self, settings: Any) -> list[RestorePoint]: ...

    def original_place(self, settings: Any, path: str) -> Path | None: ...

    def restore_entry(
        self, settings: Any, point: RestorePoint, entry: RestoreEntry, target: Path, *, overwrite: bool
    ) -> int: ...


def _kind(profile: Profile) -> tuple[KindRestore, Any]:
    module: KindRestore = importlib.import_module(f"{KIND_MODULES[profile.kind]}.restore")
    return module, getattr(profile.spec, profile.kind)


def restore_points(profile: Profile) -> list[RestorePoint]:
    """Every run of ``profile`` that kept copies, newest first. May be slow (a remote listing)."""
    module, settings = _kind(profile)
    return sorted(module.restore_points(settings), key=lambda p: p.run, reverse=True)


def can_restore_in_place(profile: Profile) -> bool:
    """Whether entries of this kind have an original place to go back to."""
    return _kind(profile)[0].IN_PLACE


def original_place(profile: Profile, entry: RestoreEntry) -> Path | None:
    """Where ``entry`` lived (under the profile's source), or None for kinds without one."""
    module, settings = _kind(profile)
    return module.original_place(settings, entry.path)


def what_happened(profile: Profile, entry: RestoreEntry) -> str | None:
    """What the run did to a kept file, where that can be told: ``replaced`` (its original place
    holds a newer file now) or ``deleted`` (it holds none); None for a folder, or a kind whose copies
    have no original place (a Revit export). Looks at the source: call it off the GUI thread."""
    if entry.is_dir:
        return None
    place = original_place(profile, entry)
    if place is None:
        return None
    return "replaced" if place.exists() else "deleted"


def restore(
    profile: Profile,
    point: RestorePoint,
    entry: RestoreEntry,
    *,
    into: Path | None = None,
    overwrite: bool = False,
) -> int:
    """Restore ``entry`` to its original place, or into the folder ``into``; returns files restored.

    Raises RestoreConflict (writing nothing) when a file exists there and ``overwrite`` is False,
    ValueError when the kind has no original place and ``into`` is None.
    """
    module, settings = _kind(profile)
    if into is None:
        target = module.original_place(settings, entry.path)
        if target is None:
            raise ValueError(f"a {profile.kind} backup has no original place: choose a folder")
    else:
        target = into / entry.name
    return module.restore_entry(settings, point, entry, target, overwrite=overwrite)
