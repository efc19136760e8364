"""Scan and compare: walk source and replica side by side and decide per entry.

One pass over both trees with ``os.scandir`` (stat from the entry, never following symlinks)
produces the Plan directly, the way rclone's march pairs two listings. Nothing is written here.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

from engine.core.filters import PathFilter
from engine.core.plan import Action, ActionKind, ActionList
from engine.files.atomic import TEMP_PREFIX, is_temp_name, temp_path_for
from engine.files.listing import child_path, close_folder, list_entries, open_folder

STATE_DIR = ".rearguard"  # in the replica's root: versions and markers; never compared
CASE_INSENSITIVE = sys.platform in ("win32", "darwin")


PROBE_MTIME_NS = 1_000_000_001_234_567_891  # odd second, every digit set: shows any rounding


def probe_mtime_step(folder: str) -> int:
    """How coarsely ``folder``'s filesystem stores modification times, in ns (1 = exactly).

    FAT keeps 2 s, SMB/NTFS 100 ns, some NAS and network filesystems 1 s or 1 µs. Measured by
    setting a known time on a temporary file; 1 (exact) when the folder cannot be written.
    """
    probe = temp_path_for(os.path.join(folder, "mtime-probe"))
    try:
        with open(probe, "xb"):
            pass
        os.utime(probe, ns=(PROBE_MTIME_NS, PROBE_MTIME_NS))
        stored = os.stat(probe).st_mtime_ns
    except OSError:
        return 1
    finally:
        try:
            os.unlink(probe)
        except OSError:
            pass
    diff = abs(stored - PROBE_MTIME_NS)
    for step in (100, 1_000, 1_000_000, 1_000_000_000, 2_000_000_000):
        if diff < step:
            return 1 if diff == 0 else step
    return 2_000_000_000


def mtime_equal(source_ns: int, replica_ns: int, step: int = 1) -> bool:
    """Equal modification times, given the replica filesystem's time step (see probe_mtime_step)."""
    return source_ns == replica_ns if step <= 1 else abs(source_ns - replica_ns) < step


@dataclass
class Walk:
    """The result of comparing two trees: actions in execution order plus what was seen."""

    copies: ActionList = field(default_factory=ActionList)  # copy/replace, parents before children
    deletes: list[Action] = field(default_factory=list)
    notes: list[Action] = field(default_factory=list)  # skipped/unreadable entries
    leftovers: list[str] = field(default_factory=list)  # temp files of a killed run (absolute)
    source_entries: int = 0
    source_others: int = 0  # of the source entries, those that are not regular files
    replica_files: int = 0
    delete_files: int = 0
    unreadable: list[str] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)  # excluded replica entries (absolute paths)
    folders: list[str] = field(default_factory=list)  # folders present on both sides ("" = the root)


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


def _scan_replica(
    path: str,
    walk: Walk,
    rel: str,
    filt: PathFilter | None,
    fd: int | None,
) -> dict[str, os.DirEntry[str]]:
    """The replica folder's entries by name key; temp leftovers and excluded entries set apart."""
    try:
        entries = list_entries(path, fd)
    except FileNotFoundError:
        return {}
    out = {e.name.casefold(): e for e in entries} if CASE_INSENSITIVE else {e.name: e for e in entries}
    if not rel:
        out.pop(_key(STATE_DIR), None)
    for key in [k for k in out if k.startswith(TEMP_PREFIX)]:
        if is_temp_name(out[key].name):
            walk.leftovers.append(child_path(path, out.pop(key).name))
    if filt is not None:
        for key, entry in list(out.items()):
            if filt.excluded(_join(rel, entry.name), entry.name, entry.is_dir(follow_symlinks=False)):
                # Excluded entries in the replica are left alone, never deleted or replaced.
                walk.blocked.add(child_path(path, entry.name))
                del out[key]
    return out


def _delete_action(rel: str, entry: os.DirEntry[str], folder: str, walk: Walk) -> Action:
    if entry.is_dir(follow_symlinks=False):
        files, size = _count_tree(child_path(folder, entry.name), walk.leftovers)
        walk.replica_files += files
        walk.delete_files += files
        return Action(ActionKind.DELETE, rel, size, is_dir=True, detail=(("files", files),))
    walk.delete_files += 1
    walk.replica_files += 1
    try:
        size = entry.stat(follow_symlinks=False).st_size
    except OSError:
        size = 0
    return Action(ActionKind.DELETE, rel, size)


Pair = tuple[str, str, str | None]  # (relative dir, source dir, replica dir or None if known empty)


def compare_trees(
    source: str, replica: str, filt: PathFilter, *, delete: bool = True, mtime_step: int = 1
) -> Walk:
    """Walk both trees and plan copies, replacements and deletions (the replica may not exist)."""
    walk = Walk()
    walk_pairs(walk, [("", source, replica)], filt, delete, mtime_step)
    return walk


def walk_pairs(
    walk: Walk, stack: list[Pair], filt: PathFilter, delete: bool, mtime_step: int, budget: int = -1
) -> list[Pair]:
    """Compare folder pairs depth first, adding to ``walk``; stop after ``budget`` folders.

    Returns the pairs not yet visited (each a whole subtree, its parents already planned).
    The loop is the hot path of a no-change run (100,000 entries in about half a second), so
    files take the shortest way through it and paths are only built for entries that need action.
    """
    use_filter = filt if filt.active else None
    while stack and budget != 0:
        budget -= 1
        rel, src_dir, dst_dir = stack.pop()
        src_fd = dst_fd = None
        try:
            src_fd = open_folder(src_dir)
            entries = sorted(list_entries(src_dir, src_fd), key=_by_name)
        except OSError as error:
            close_folder(src_fd)
            walk.unreadable.append(rel or ".")
            walk.notes.append(
                Action(
                    ActionKind.COPY,
                    rel or ".",
                    is_dir=True,
                    detail=(("status", "failed"), ("reason", f"folder cannot be read: {error.strerror}")),
                )
            )
            continue  # its replica side is left untouched
        try:
            if dst_dir is not None:
                try:
                    dst_fd = open_folder(dst_dir)
                except FileNotFoundError:
                    dst_fd = None
                other = _scan_replica(dst_dir, walk, rel, use_filter, dst_fd)
            else:
                other = {}
            _plan_folder(walk, stack, entries, other, rel, src_dir, dst_dir, use_filter, delete, mtime_step)
        finally:
            close_folder(src_fd)
            close_folder(dst_fd)
    return stack


def _plan_folder(
    walk: Walk,
    stack: list[Pair],
    entries: list[os.DirEntry[str]],
    other: dict[str, os.DirEntry[str]],
    rel: str,
    src_dir: str,
    dst_dir: str | None,
    use_filter: PathFilter | None,
    delete: bool,
    mtime_step: int,
) -> None:
    """Plan one folder pair from both listings (their descriptors still open for the stats)."""
    copies, notes = walk.copies, walk.notes
    prefix = rel + "/" if rel else ""
    source_entries = matched_files = 0
    if dst_dir is not None:
        walk.folders.append(rel)
    subdirs: list[Pair] = []
    for entry in entries:
        name = entry.name
        if name[0] == "." and (is_temp_name(name) or (not rel and name == STATE_DIR)):
            continue
        if entry.is_file(follow_symlinks=False):
            if use_filter is not None and use_filter.excluded(prefix + name, name, False):
                continue
            source_entries += 1
            mine = other.pop(name.casefold() if CASE_INSENSITIVE else name, None) if other else None
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as error:
                notes.append(
                    Action(
                        ActionKind.COPY,
                        prefix + name,
                        detail=(("status", "failed"), ("reason", f"cannot be read: {error.strerror}")),
                    )
                )
                continue
            if mine is None:
                if walk.blocked and dst_dir is not None and _blocked(walk, dst_dir, name, prefix):
                    continue
                copies.add_file(ActionKind.COPY, prefix + name, st.st_size, st.st_mtime_ns)
                continue
            if mine.is_file(follow_symlinks=False):
                matched_files += 1
                theirs = mine.stat(follow_symlinks=False)
                if theirs.st_size == st.st_size and (
                    theirs.st_mtime_ns == st.st_mtime_ns
                    or mtime_equal(st.st_mtime_ns, theirs.st_mtime_ns, mtime_step)
                ):
                    continue
            copies.add_file(ActionKind.REPLACE, prefix + name, st.st_size, st.st_mtime_ns)
            continue
        kind = _kind(entry)
        path = prefix + name
        if use_filter is not None and use_filter.excluded(path, name, kind == "dir"):
            continue
        source_entries += 1
        walk.source_others += 1
        mine = other.pop(_key(name), None) if other else None
        if mine is None and walk.blocked and dst_dir is not None and _blocked(walk, dst_dir, name, prefix):
            continue
        if kind == "dir":
            if mine is None:
                copies.append(Action(ActionKind.COPY, path, is_dir=True))
                subdirs.append((path, child_path(src_dir, name), None))
            elif mine.is_dir(follow_symlinks=False):
                assert dst_dir is not None  # a replica entry comes from a replica folder
                subdirs.append((path, child_path(src_dir, name), child_path(dst_dir, mine.name)))
            else:
                copies.append(Action(ActionKind.REPLACE, path, is_dir=True))
                subdirs.append((path, child_path(src_dir, name), None))
        elif kind == "link":
            _plan_link(child_path(src_dir, name), mine, dst_dir, path, walk)
        else:
            notes.append(
                Action(
                    ActionKind.COPY,
                    path,
                    detail=(("status", "skipped"), ("reason", "not a regular file, folder or link")),
                )
            )
    if delete and other:
        for name_key in sorted(other):
            entry = other[name_key]
            walk.deletes.append(_delete_action(prefix + entry.name, entry, dst_dir or "", walk))
    # Depth-first in name order: parents are always planned before their children.
    subdirs.sort(reverse=True)
    stack.extend(subdirs)
    walk.source_entries += source_entries
    walk.replica_files += matched_files


def _blocked(walk: Walk, dst_dir: str, name: str, prefix: str) -> bool:
    """True (and noted) when an excluded replica entry holds the name a source entry needs."""
    if child_path(dst_dir, name) not in walk.blocked:
        return False
    walk.notes.append(
        Action(
            ActionKind.COPY,
            prefix + name,
            detail=(
                ("status", "failed"),
                ("reason", "the replica has an excluded entry of this name; it was left alone"),
            ),
        )
    )
    return True


def _by_name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _plan_link(
    source: str, mine: os.DirEntry[str] | None, dst_dir: str | None, path: str, walk: Walk
) -> None:
    """A symbolic link is copied as a link (never followed), when it is new or points elsewhere."""
    try:
        target = os.readlink(source)
    except OSError as error:
        walk.notes.append(
            Action(
                ActionKind.COPY,
                path,
                detail=(("status", "failed"), ("reason", f"link cannot be read: {error.strerror}")),
            )
        )
        return
    if mine is not None and dst_dir is not None and mine.is_symlink():
        try:
            if os.readlink(child_path(dst_dir, mine.name)) == target:
                return
        except OSError:
            pass
    kind = ActionKind.COPY if mine is None else ActionKind.REPLACE
    walk.copies.append(Action(kind, path, 0, detail=(("link", target),)))
