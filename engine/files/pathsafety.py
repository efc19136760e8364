"""Keeping paths that come from outside (file names, table rows, profile fields) inside their root.

Pure functions, tested for both POSIX and Windows spellings so the Windows rules run on Linux too.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PureWindowsPath

WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"COM{i}" for i in range(1, 10)] + [f"LPT{i}" for i in range(1, 10)]
)
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class UnsafePath(ValueError):
    """A relative path that would escape its root or cannot exist on the target."""


def split_relative(raw: str) -> list[str]:
    """Split a relative path written with ``/`` or ``\\`` into safe parts, or raise UnsafePath.

    Refused: empty, absolute, drive letters, UNC prefixes, ``..`` segments, control characters.
    ``.`` and empty segments are dropped.
    """
    if not raw or not raw.strip():
        raise UnsafePath("empty path")
    if _CONTROL.search(raw):
        raise UnsafePath("contains control characters")
    if raw.startswith(("/", "\\")):
        raise UnsafePath("absolute path")
    if _DRIVE.match(raw):
        raise UnsafePath("has a drive letter")
    parts = [p for p in re.split(r"[\\/]", raw) if p not in ("", ".")]
    if not parts:
        raise UnsafePath("empty path")
    if any(p == ".." for p in parts):
        raise UnsafePath("contains '..'")
    return parts


def windows_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a file or folder name on Windows, or None when it can."""
    if name != name.rstrip(". "):
        return "ends with a dot or space"
    stem = name.split(".", 1)[0].rstrip(" ").upper()
    if stem in WINDOWS_RESERVED:
        return f"'{stem}' is a reserved name on Windows"
    if any(c in name for c in '<>:"|?*'):
        return 'contains one of <>:"|?*'
    return None


def join_inside(root: Path, raw: str) -> Path:
    """``root / raw`` for a relative path from outside, guaranteed to stay inside ``root``."""
    parts = split_relative(raw)
    candidate = root.joinpath(*parts)
    resolved_root = os.path.abspath(root)
    if os.path.commonpath([resolved_root, os.path.abspath(candidate)]) != resolved_root:
        raise UnsafePath("leaves its folder")
    return candidate


def is_within(child: str | Path, parent: str | Path) -> bool:
    """True when ``child`` is ``parent`` or lies below it (resolving symlinks where they exist)."""
    c = os.path.normcase(os.path.realpath(child))
    p = os.path.normcase(os.path.realpath(parent))
    try:
        return os.path.commonpath([c, p]) == p
    except ValueError:  # different drives on Windows
        return False


def overlap_problem(source: str | Path, target: str | Path, target_label: str = "replica") -> str | None:
    """Describe how source and target overlap, or None when they are apart."""
    if is_within(target, source) and is_within(source, target):
        return f"{target_label} is the same folder as source"
    if is_within(target, source):
        return f"{target_label} must not be inside source"
    if is_within(source, target):
        return f"source must not be inside {target_label}"
    return None


def is_unc(path: str) -> bool:
    """True for a Windows UNC path such as ``\\\\nas\\share\\folder``."""
    return path.startswith(("\\\\", "//")) and not path.startswith(("\\\\?\\", "\\\\.\\"))


def windows_long_path(path: str) -> str:
    """Prefix a Windows path with ``\\\\?\\`` (``\\\\?\\UNC\\`` for shares) when it is 260+ characters."""
    if len(path) < 260 or path.startswith("\\\\?\\"):
        return path
    win = str(PureWindowsPath(path))
    if is_unc(win):
        return "\\\\?\\UNC\\" + win.lstrip("\\")
    return "\\\\?\\" + win
