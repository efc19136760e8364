"""Walking the source: every file to back up with its size and mtime_ns, and what was left out why.

Dot-entries are skipped unless ``include_hidden``; ``exclude`` holds gitignore patterns; Rearguard's
own state and log folders and the reserved top-level ``.rearguard`` folder are never part of the
source. Folders that cannot be read are reported, so their files are not mistaken for deletions.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from engine.core.errors import Cancelled
from engine.core.filters import PathFilter

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
RESERVED = ".rearguard"  # the versions folder on the remote; a source folder of that name would mix in


@dataclass
class Scan:
    """The result of one walk. Paths are relative to the source, with ``/``."""

    files: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (size, mtime_ns)
    left_out: dict[str, str] = field(default_factory=dict)  # path -> why it is not uploaded
    unreadable: list[str] = field(default_factory=list)  # folders that could not be listed ('' = root)


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


def scan_source(
    root: str,
    *,
    include_hidden: bool,
    exclude: Sequence[str] = (),
    never: Iterable[str] = (),
    cancel: threading.Event | None = None,
) -> Scan:
    """Walk ``root`` (not following links). ``never``: absolute paths never uploaded (own files).

    Raises Cancelled when ``cancel`` is set (checked once per folder); ProfileError for a bad pattern.
    """
    rules = PathFilter(exclude, include_hidden=include_hidden, where="[rclone].exclude")
    rule = rules.excluded if rules.active else None
    skip = {_norm(p) for p in never}
    skip_names = {os.path.basename(p) for p in skip}  # a cheap first test before normalising a path
    scan = Scan()
    files, left_out = scan.files, scan.left_out
    stack: list[tuple[str, str]] = [("", root)]
    while stack:
        rel_dir, path = stack.pop()
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        try:
            entries = list(os.scandir(path))
        except OSError as error:
            scan.unreadable.append(rel_dir.rstrip("/"))
            left_out[rel_dir or "."] = f"folder cannot be read: {error.strerror or error}"
            continue
        for entry in entries:
            name = entry.name
            key = name.lower() if _FOLD_CASE else name
            if key in skip_names and _norm(entry.path) in skip:
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
                        stack.append((rel + "/", entry.path))
                    continue
                if rule is not None and rule(rel, name, False):
                    continue
                if not entry.is_file(follow_symlinks=False):
                    if entry.is_symlink():
                        left_out[rel] = "symbolic link (not followed)"
                    continue  # sockets, fifos, devices
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # vanished between listing and looking
            if problem:
                left_out[rel] = problem
            else:
                files[rel] = (st.st_size, st.st_mtime_ns)
    return scan


def under_any(path: str, folders: Iterable[str]) -> bool:
    """True when ``path`` lies in one of ``folders`` (relative, ``/``; '' is the whole source)."""
    return any(folder == "" or path.startswith(folder + "/") for folder in folders)
