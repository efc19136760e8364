"""Copying a kept file or folder back out of a backup, without ever losing what is already there.

Every file goes to a temporary name beside its target and is renamed into place when complete, so
an interrupted restore never leaves a half-written file. Nothing is replaced unless the caller
says so: without ``overwrite``, a restore that would replace an existing file is refused before
anything is written, with the list of those files. With ``overwrite``, each file it replaces is
first kept aside (``keep_aside``): no restore can lose data.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from engine.files.atomic import temp_path_for

KeepAside = Callable[[Path], object]  # called with an existing file just before it is replaced


class RestoreConflict(Exception):
    """The restore would replace existing files; ``existing`` lists them."""

    def __init__(self, existing: list[Path]) -> None:
        self.existing = existing
        shown = ", ".join(str(p) for p in existing[:3]) + ("…" if len(existing) > 3 else "")
        super().__init__(f"{len(existing)} file(s) already exist: {shown}")


def _files(item: Path) -> Iterator[Path]:
    if item.is_dir() and not item.is_symlink():
        for folder, _dirs, names in os.walk(item):
            for name in sorted(names):
                yield Path(folder) / name
    else:
        yield item


def plan_copy_out(item: Path, target: Path) -> list[tuple[Path, Path]]:
    """(from, to) for every file of ``item`` (a file or a folder) restored as ``target``."""
    if item.is_dir() and not item.is_symlink():
        return [(f, target / f.relative_to(item)) for f in _files(item)]
    return [(item, target)]


def conflicts(targets: list[Path]) -> list[Path]:
    """The targets that already exist (a restore would replace them)."""
    return [to for to in targets if os.path.lexists(to)]


def check_conflicts(targets: list[Path], overwrite: bool) -> list[Path]:
    """Raise RestoreConflict when a target exists and ``overwrite`` is False; else return those that exist."""
    existing = conflicts(targets)
    if existing and not overwrite:
        raise RestoreConflict(existing)
    return existing


def copy_one(source: Path, target: Path) -> None:
    """Copy one file (or link) to ``target`` through a temporary name beside it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path_for(target)
    try:
        shutil.copy2(source, temp, follow_symlinks=False)
        os.replace(temp, target)
    except BaseException:
        if os.path.lexists(temp):
            os.unlink(temp)
        raise


def copy_out(
    item: Path, target: Path, *, overwrite: bool = False, keep_aside: KeepAside | None = None
) -> int:
    """Copy ``item`` (a file or folder inside a backup) to ``target``; returns the files restored.

    Raises RestoreConflict, writing nothing, when a target file exists and ``overwrite`` is False.
    With ``overwrite``, ``keep_aside`` is called with each existing file before it is replaced.
    """
    if not os.path.lexists(item):
        raise FileNotFoundError(f"the kept copy is gone: {item}")
    pairs = plan_copy_out(item, target)
    existing = set(check_conflicts([to for _from, to in pairs], overwrite))
    if item.is_dir() and not item.is_symlink():
        target.mkdir(parents=True, exist_ok=True)
    for source, to in pairs:
        if to in existing and keep_aside is not None:
            keep_aside(to)
        copy_one(source, to)
    return len(pairs)


def aside_name(path: Path, stamp: str) -> Path:
    """``report.txt`` -> ``report.txt.replaced-<stamp>`` beside it (never an existing name)."""
    candidate = path.with_name(f"{path.name}.replaced-{stamp}")
    counter = 1
    while os.path.lexists(candidate):
        counter += 1
        candidate = path.with_name(f"{path.name}.replaced-{stamp}-{counter}")
    return candidate
