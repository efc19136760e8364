"""Model paths from the model table: which rows are models, which are unsafe, where each one goes.

A ModelPath comes from a database Rearguard does not control, so every row is classified before
anything touches a disk: refused when it would leave the Projects folder or the target, skipped
when it is not a central model (``.rfa`` families and the like), otherwise a model with the parts
of its export path. Names Windows cannot store (trailing dots or spaces) are normalised for the
export file; names that cannot exist on Windows at all (``CON``, ``a:b``) are refused.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

from engine.files.pathsafety import (
    UnsafePath,
    join_inside,
    split_relative,
    windows_long_path,
    windows_name_problem,
)

MODEL_SUFFIX = ".rvt"


@dataclass(frozen=True, slots=True)
class ModelPath:
    """A table row that is a model: its path as the table gives it and as it will be exported."""

    raw: str  # as the table gives it (backslashes), passed to the tool unchanged
    parts: tuple[str, ...]  # the segments as the server stores them
    out_parts: tuple[str, ...]  # the segments of the export file, storable on Windows

    @property
    def key(self) -> str:
        """Identity of the export: two rows with the same key would write the same file."""
        return "/".join(self.out_parts).casefold()

    @property
    def normalised(self) -> bool:
        return self.parts != self.out_parts

    @property
    def display(self) -> str:
        """The export's relative path with ``/`` (for logs and messages)."""
        return "/".join(self.out_parts)


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row that is not exported: ``refused`` (unsafe) or ``skipped`` (not a model)."""

    status: str
    reason: str


def classify(raw: object) -> ModelPath | RowProblem:
    """Decide what a table row's ModelPath is: a model to export, unsafe, or not a model."""
    if not isinstance(raw, str):
        return RowProblem("refused", "unsafe path: the row has no text path")
    try:
        parts = split_relative(raw)
    except UnsafePath as error:
        return RowProblem("refused", f"unsafe path: {error}")
    out_parts = [part.rstrip(" .") for part in parts]
    if any(not part for part in out_parts):
        return RowProblem("refused", "unsafe path: a name is only dots or spaces")
    suffix = os.path.splitext(out_parts[-1])[1].lower()
    if suffix != MODEL_SUFFIX:
        shown = suffix or "no extension"
        return RowProblem("skipped", f"not a model ({shown}): only {MODEL_SUFFIX} models are exported")
    for part in out_parts:
        problem = windows_name_problem(part)
        if problem:
            return RowProblem("refused", f"unsafe path: '{part}' {problem}")
    return ModelPath(raw=raw, parts=tuple(parts), out_parts=tuple(out_parts))


def model_folder(projects: Path, model: ModelPath) -> Path | None:
    """The model's folder on the server, or None when it is missing.

    The server stores a model as a folder named like the file. A name with a trailing space is
    looked up as given first, then as Windows would have stored it.
    """
    candidates = [model.parts] if not model.normalised else [model.parts, model.out_parts]
    for parts in candidates:
        try:
            folder = join_inside(projects, "/".join(parts))
        except UnsafePath:
            return None
        if folder.is_dir():
            return folder
    return None


def expected_folder(projects: Path, model: ModelPath) -> Path:
    """Where the model's folder should be (for messages about a missing one)."""
    return projects.joinpath(*model.parts)


def export_day_folder(target: str, day: str, platform: str = sys.platform) -> str:
    """``<target>/<YYYY-MM-DD>`` spelled for ``platform`` (UNC targets kept as they are)."""
    if platform == "win32":
        return str(PureWindowsPath(target, day))
    return os.path.join(target, day)


def export_destination(target: str, day: str, model: ModelPath, platform: str = sys.platform) -> str:
    """``<target>/<YYYY-MM-DD>/<model path>``: where a model's verified export ends up."""
    if platform == "win32":
        return str(PureWindowsPath(target, day, *model.out_parts))
    return os.path.join(target, day, *model.out_parts)


def os_path(path: str, platform: str = sys.platform) -> str:
    """A path as file functions must get it: with the ``\\\\?\\`` prefix when long on Windows."""
    if platform == "win32":
        return windows_long_path(path)
    return path
