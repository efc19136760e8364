"""Scan and compare: walk source and replica side by side and decide per entry.

One pass over both trees with ``os.scandir`` (stat from the entry, never following symlinks)
produces the Plan directly, the way rclone's march pairs two listings. Nothing is written here.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

from engine.atomic import is_temp_name
from engine.filters import PathFilter
from engine.plan import Action, ActionKind

STATE_DIR = ".rearguard"  # in the replica's root: versions and markers; never compared
CASE_INSENSITIVE = sys.platform in ("win32", "darwin")


def mtime_equal(source_ns: int, replica_ns: int) -> bool:
    """Equal mtimes, allowing for a replica filesystem that stores coarser times.

    FAT keeps 2 s, many SMB/NTFS paths keep 100 ns, sftp and some NAS keep 1 s. When the replica's
    value is a whole multiple of such a step and the source is within that step, they are equal.
    """
    if source_ns == replica_ns:
        return True
    diff = abs(source_ns - replica_ns)
    for step in (2_000_000_000, 1_000_000_000, 1_000_000, 1_000, 100):
        if replica_ns % step == 0:
            return diff < step
    return False


@dataclass
class Walk:
    """The result of comparing two trees: actions in execution order plus what was seen."""

    copies: list[Action] = field(default_factory=list)  # copy/replace, parents before children
    deletes: list[Action] = field(default_factory=list)
    notes: list[Action] = field(default_factory=list)  # skipped/unreadable entries
    leftovers: list[str] = field(default_factory=list)  # temp files of a killed run (absolute)
    source_entries: int = 0
    replica_files: int = 0
    delete_files: int = 0
    unreadable: list[str] = field(default_factory=list)


def _key(name: str) -> str:
    return name.casefold() if CASE_INSENSITIVE else name


def _join(rel: str, name: str) -> str:
    return f"{rel}/{name}" if rel else name


def _kind(entry: os.DirEntry[str]) -> str:
    """'dir', 'file', 'link' or 'other' without following symlinks."""
    if entry.is_symlink():
        return "link"
    if entry.is_dir(follow_symlinks=False):
        return "dir"
    if entry.is_file(follow_symlinks=False):
        return "file"
    return "other"


def _count_tree(path: str, leftovers: list[str]) -> tuple[int, int]:
    """Files and bytes below a replica folder that is going to be deleted (temp files aside)."""
    files = size = 0
    stack = [path]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif is_temp_name(entry.name):
                        leftovers.append(entry.path)
                    else:
                        files += 1
                        try:
                            size += entry.stat(follow_symlinks=False).st_size
                        except OSError:
                            pass
        except OSError:
            continue
    return files, size


def _scan_replica(path: str, walk: Walk, rel: str, filt: PathFilter | None,
                  ) -> dict[str, os.DirEntry[str]]:
    out: dict[str, os.DirEntry[str]] = {}
    try:
        with os.scandir(path) as it:
            for entry in it:
                name = entry.name
                if not rel and name == STATE_DIR:
                    continue
                if is_temp_name(name):
                    walk.leftovers.append(entry.path)
                    continue
                is_dir = entry.is_dir(follow_symlinks=False)
                if filt is not None and filt.excluded(_join(rel, name), name, is_dir):
                    continue  # excluded entries in the replica are left alone, never deleted
                if not is_dir:
                    walk.replica_files += 1
                out[_key(name)] = entry
    except FileNotFoundError:
        pass
    return out


def _delete_action(rel: str, entry: os.DirEntry[str], walk: Walk) -> Action:
    if entry.is_dir(follow_symlinks=False):
        files, size = _count_tree(entry.path, walk.leftovers)
        walk.replica_files += files
        walk.delete_files += files
        return Action(ActionKind.DELETE, rel, size, is_dir=True, detail=(("files", files),))
    walk.delete_files += 1
    try:
        size = entry.stat(follow_symlinks=False).st_size
    except OSError:
        size = 0
    return Action(ActionKind.DELETE, rel, size)


def compare_trees(source: str, replica: str, filt: PathFilter, *, delete: bool = True) -> Walk:
    """Walk both trees and plan copies, replacements and deletions (the replica may not exist)."""
    walk = Walk()
    use_filter = filt if filt.active else None
    # (relative dir, source dir, replica dir or None when the replica side is known to be empty)
    stack: list[tuple[str, str, str | None]] = [("", source, replica)]
    copies, notes = walk.copies, walk.notes
    while stack:
        rel, src_dir, dst_dir = stack.pop()
        other = _scan_replica(dst_dir, walk, rel, use_filter) if dst_dir is not None else {}
        try:
            with os.scandir(src_dir) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as error:
            walk.unreadable.append(rel or ".")
            notes.append(Action(ActionKind.COPY, rel or ".", is_dir=True, detail=(
                ("status", "failed"), ("reason", f"folder cannot be read: {error.strerror}"))))
            continue  # its replica side is left untouched
        subdirs: list[tuple[str, str, str | None]] = []
        for entry in entries:
            name = entry.name
            if is_temp_name(name) or (not rel and name == STATE_DIR):
                continue
            kind = _kind(entry)
            if use_filter is not None and use_filter.excluded(_join(rel, name), name, kind == "dir"):
                continue
            walk.source_entries += 1
            mine = other.pop(_key(name), None) if other else None
            path = _join(rel, name)
            if kind == "dir":
                if mine is None:
                    copies.append(Action(ActionKind.COPY, path, is_dir=True))
                    subdirs.append((path, entry.path, None))
                elif mine.is_dir(follow_symlinks=False):
                    subdirs.append((path, entry.path, mine.path))
                else:
                    copies.append(Action(ActionKind.REPLACE, path, is_dir=True))
                    subdirs.append((path, entry.path, None))
                continue
            if kind == "other":
                notes.append(Action(ActionKind.COPY, path, detail=(
                    ("status", "skipped"), ("reason", "not a regular file, folder or link"))))
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as error:
                notes.append(Action(ActionKind.COPY, path, detail=(
                    ("status", "failed"), ("reason", f"cannot be read: {error.strerror}"))))
                continue
            if kind == "link":
                try:
                    target = os.readlink(entry.path)
                except OSError as error:
                    notes.append(Action(ActionKind.COPY, path, detail=(
                        ("status", "failed"), ("reason", f"link cannot be read: {error.strerror}"))))
                    continue
                if mine is not None and mine.is_symlink():
                    try:
                        if os.readlink(mine.path) == target:
                            continue
                    except OSError:
                        pass
                action = ActionKind.COPY if mine is None else ActionKind.REPLACE
                copies.append(Action(action, path, 0, detail=(("link", target),)))
                continue
            if mine is None:
                copies.append(Action(ActionKind.COPY, path, st.st_size, mtime_ns=st.st_mtime_ns))
                continue
            if mine.is_file(follow_symlinks=False) and not mine.is_symlink():
                theirs = mine.stat(follow_symlinks=False)
                if theirs.st_size == st.st_size and mtime_equal(st.st_mtime_ns, theirs.st_mtime_ns):
                    continue
            copies.append(Action(ActionKind.REPLACE, path, st.st_size, mtime_ns=st.st_mtime_ns))
        if delete and other:
            for name_key in sorted(other):
                entry = other[name_key]
                walk.deletes.append(_delete_action(_join(rel, entry.name), entry, walk))
        # Depth-first in name order: parents are always planned before their children.
        subdirs.sort(key=lambda item: item[0], reverse=True)
        stack.extend(subdirs)
    return walk
