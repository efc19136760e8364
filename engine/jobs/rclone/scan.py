"""Walking the source: every file to back up with its size and mtime_ns, and what was left out why.

Dot-entries are skipped unless ``include_hidden``; ``exclude`` holds gitignore patterns; Rearguard's
own state and log folders and the reserved top-level ``.rearguard`` folder are never part of the
source. A file or folder that cannot be read (permission, I/O error, ...) is reported as failed,
never mistaken for a deletion: it, and everything below it, keeps its copy on the remote. Only a
file that vanished between the listing and the look at it counts as gone.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from engine.core.errors import Cancelled
from engine.core.filters import PathFilter
from engine.files.listing import child_path, close_folder, list_entries, open_folder

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
RESERVED = ".rearguard"  # the versions folder on the remote; a source folder of that name would mix in


@dataclass
class Scan:
    """The result of one walk. Paths are relative to the source, with ``/``."""

    files: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (size, mtime_ns)
    left_out: dict[str, str] = field(default_factory=dict)  # path -> why it is not uploaded (skipped)
    failed: dict[str, str] = field(default_factory=dict)  # path -> why it could not be read ('.' = root)
    unreadable: list[str] = field(default_factory=list)  # folders among ``failed`` ('' = root)
    rules: PathFilter | None = None  # what exclude and include_hidden leave out


_FOLD_CASE = os.path.normcase("A") == "a"  # Windows compares names without case


def _norm(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


def _name_problem(name: str) -> str | None:
    """Why rclone cannot be handed this name in a list file, or None."""
    if "\n" in name or "\r" in name:
        return "name contains a line break (rclone's file list cannot carry it)"
    if _CONTROL.search(name):  # rclone maps them to other characters and silently skips the file
        return "name contains a control character (rclone's file list cannot carry it)"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "name is not valid text in the file system's encoding"
    return None


@dataclass(frozen=True)
class Rules:
    """What a walk leaves out: made once per scan (forked workers inherit it)."""

    filter: PathFilter
    skip: frozenset[str]  # own files, normalised
    skip_names: frozenset[str]  # their names: a cheap first test before normalising a path

    @property
    def rule(self) -> Callable[[str, str, bool], bool] | None:
        return self.filter.excluded if self.filter.active else None


Folder = tuple[str, str]  # (path relative to the source, ending in "/" or ""; its absolute path)


def scan_rules(include_hidden: bool, exclude: Sequence[str] = (), never: Iterable[str] = ()) -> Rules:
    """``never``: absolute paths never uploaded (own files). Raises ProfileError for a bad pattern."""
    skip = frozenset(_norm(p) for p in never)
    return Rules(
        PathFilter(exclude, include_hidden=include_hidden, where="[rclone].exclude"),
        skip,
        frozenset(os.path.basename(p) for p in skip),
    )


def scan_tree(root: str, rules: Rules, cancel: threading.Event | None) -> Scan:
    """The whole walk of ``root`` (not following links) in this process.

    Raises Cancelled when ``cancel`` is set (checked once per folder).
    """
    scan = new_scan(rules)
    walk(scan, [("", root)], rules, cancel)
    return scan


def new_scan(rules: Rules) -> Scan:
    return Scan(rules=rules.filter if rules.filter.active else None)


def walk(
    scan: Scan,
    stack: list[Folder],
    rules: Rules,
    cancel: threading.Event | None,
    budget: int = -1,
    *,
    breadth_first: bool = False,
) -> list[Folder]:
    """Walk the folders on ``stack`` depth first (or breadth first) into ``scan``; stop after
    ``budget`` folders.

    Returns the folders not yet visited (each a whole subtree). Breadth first, they are the
    subtrees at the edge of what was walked: many, and smaller, where a big folder would be left
    whole depth first.
    """
    failed, rule, skip, skip_names = scan.failed, rules.rule, rules.skip, rules.skip_names
    while stack and budget != 0:
        budget -= 1
        rel_dir, path = stack.pop(0) if breadth_first else stack.pop()
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        fd = None
        try:
            fd = open_folder(path)
            entries = list_entries(path, fd)
        except FileNotFoundError:
            close_folder(fd)
            if rel_dir:
                continue  # vanished since its parent was listed: gone, like its files
            scan.unreadable.append("")
            failed["."] = "the source folder cannot be read: it vanished"
            continue
        except OSError as error:
            close_folder(fd)
            scan.unreadable.append(rel_dir.rstrip("/"))
            failed[rel_dir.rstrip("/") or "."] = f"folder cannot be read: {error.strerror or error}"
            continue
        try:
            _scan_folder(scan, stack, entries, rel_dir, path, rule, skip, skip_names)
        finally:
            close_folder(fd)
    return stack


def _scan_folder(
    scan: Scan,
    stack: list[Folder],
    entries: list[os.DirEntry[str]],
    rel_dir: str,
    path: str,
    rule: Callable[[str, str, bool], bool] | None,
    skip: frozenset[str],
    skip_names: frozenset[str],
) -> None:
    """One folder's entries into ``scan``; its subfolders onto ``stack`` (entries know only their name)."""
    files, left_out, failed = scan.files, scan.left_out, scan.failed
    for entry in entries:
        name = entry.name
        key = name.lower() if _FOLD_CASE else name
        if key in skip_names and _norm(child_path(path, name)) in skip:
            continue
        rel = rel_dir + name
        # A name with a line break or undecodable bytes cannot go into rclone's file list.
        problem = _name_problem(name) if not name.isascii() or not name.isprintable() else None
        try:
            if entry.is_dir(follow_symlinks=False):
                if rule is not None and rule(rel, name, True):
                    continue
                if rel == RESERVED:
                    left_out[rel] = "reserved for Rearguard's versions on the remote"
                elif problem:
                    left_out[rel] = problem
                else:
                    stack.append((rel + "/", child_path(path, name)))
                continue
            if rule is not None and rule(rel, name, False):
                continue
            if not entry.is_file(follow_symlinks=False):
                if entry.is_symlink():
                    left_out[rel] = "symbolic link (not followed)"
                continue  # sockets, fifos, devices
            st = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue  # vanished between listing and looking: gone
        except OSError as error:
            # Not readable is not gone: reported, and its copy on the remote is kept. An entry
            # that an exclude leaves out as a file is left out all the same.
            if rule is None or not rule(rel, name, False):
                failed[rel] = f"cannot be read: {error.strerror or error}"
            continue
        if problem:
            left_out[rel] = problem
        else:
            files[rel] = (st.st_size, st.st_mtime_ns)


def keeper(scan: Scan) -> Callable[[str], bool]:
    """A test for indexed paths whose remote copy must stay although the scan did not list them.

    True for a path that could not be read or was left out by name (a link, an unsendable name),
    and for everything below such a folder: what the scan could not see is unknown, not gone.
    """
    guarded = scan.failed.keys() | scan.left_out.keys()
    if not guarded:
        return lambda path: False
    if "." in guarded:
        return lambda path: True

    def kept(path: str) -> bool:
        while path not in guarded:
            cut = path.rfind("/")
            if cut < 0:
                return False
            path = path[:cut]
        return True

    return kept


def excluder(rules: PathFilter | None) -> Callable[[str], bool]:
    """A test for paths that ``exclude`` or ``include_hidden = false`` leave out.

    A file is left out when its name is, or when one of its folders is (the walk never enters an
    excluded folder), so the answer matches the walk exactly. Folder answers are remembered: the
    files of one folder share them.
    """
    if rules is None or not rules.active:
        return lambda path: False
    excluded = rules.excluded
    folders: dict[str, bool] = {}

    def folder_out(folder: str) -> bool:
        known = folders.get(folder)
        if known is None:
            parent, _, name = folder.rpartition("/")
            known = (bool(parent) and folder_out(parent)) or excluded(folder, name, True)
            folders[folder] = known
        return known

    def left_out(path: str) -> bool:
        parent, _, name = path.rpartition("/")
        return (bool(parent) and folder_out(parent)) or excluded(path, name, False)

    return left_out
