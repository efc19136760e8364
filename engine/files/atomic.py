"""Writing into a target so that nothing is ever half-written under a real name.

Every file goes to a temporary name beside its target and is renamed over it when complete
(the pattern of rclone's ``.partial`` and FreeFileSync's ``.ffs_tmp``). Temporary names are
recognisable so the next run can remove leftovers from a killed run.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.files.copy_data import CopyCancelled as CopyCancelled  # where callers catch it
from engine.files.copy_data import copy_data as _copy_data
from engine.files.flush import flush_descriptors, fsync_folder
from engine.files.pacing import Pacer

log = logging.getLogger("rearguard.files")

TEMP_PREFIX = ".~rg."
TEMP_SUFFIX = ".part"
_O_BINARY = getattr(os, "O_BINARY", 0)
_UTIME_FD = os.utime in os.supports_fd


class ChangedWhileCopying(OSError):
    """The source file changed size or time while it was copied."""


def is_temp_name(name: str) -> bool:
    """True for a name made by ``temp_path_for`` (a leftover if found by a later run)."""
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)


_RUN_TOKEN = os.urandom(3).hex()  # (the secrets module costs a hashlib import)
_counter = itertools.count()


def temp_path_for(target: str | Path) -> str:
    """A fresh temporary name in the target's folder (same filesystem, so rename is atomic).

    Unique per process (a random token per process plus a counter), so no syscall per name.
    """
    head, tail = os.path.split(os.fspath(target))
    return os.path.join(head, f"{TEMP_PREFIX}{_RUN_TOKEN}{next(_counter):x}.{tail[:120]}{TEMP_SUFFIX}")


def atomic_write_bytes(target: str | Path, data: bytes, *, fsync: bool = True) -> None:
    """Write ``data`` to ``target`` via a temporary file, fsync and rename."""
    temp = temp_path_for(target)
    try:
        with open(temp, "xb") as handle:
            handle.write(data)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        _remove_quietly(temp)
        raise
    if fsync:
        fsync_folder(os.path.dirname(os.fspath(target)))


def atomic_write_text(target: str | Path, text: str, *, fsync: bool = True) -> None:
    atomic_write_bytes(target, text.encode("utf-8"), fsync=fsync)


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


@dataclass(slots=True)
class _Staged:
    temp: str
    target: str
    fd: int | None  # open until flushed
    times: tuple[int, int]  # (atime_ns, mtime_ns) to give the installed file
    size: int
    before_install: Callable[[], None] | None = None
    key: object = None


# A batch of 64 shares one flush where the filesystem allows it (see engine/files/flush.py for the
# measured costs); its byte limit keeps big files from waiting long unflushed.
BATCH_FILES = 64
BATCH_BYTES = 64 * 1024 * 1024


class InstallBatch:
    """Copies written to temporary names, flushed to the disk and renamed into place together.

    Not thread-safe: one batch per worker.
    """

    def __init__(self, max_files: int = BATCH_FILES, max_bytes: int = BATCH_BYTES) -> None:
        self._staged: list[_Staged] = []
        self._bytes = 0
        self._max_files = max_files
        self._max_bytes = max_bytes

    def __len__(self) -> int:
        return len(self._staged)

    @property
    def full(self) -> bool:
        return len(self._staged) >= self._max_files or self._bytes >= self._max_bytes

    def add(self, staged: _Staged) -> None:
        self._staged.append(staged)
        self._bytes += staged.size

    def install(self) -> list[tuple[object, OSError | None]]:
        """Flush every staged file, set its mtime, rename it into place, then flush the folders.

        Returns ``(key, None)`` for each installed file and ``(key, error)`` for each that was not
        (its temporary file removed), in the order they were added. The batch is empty afterwards.
        The mtime is set after the data is on the disk: a crash that loses the data then also
        loses the mtime, and the next run sees a changed file and copies it again.
        """
        staged, self._staged, self._bytes = self._staged, [], 0
        outcome: dict[int, OSError | None] = {}
        try:
            written = [(index, item) for index, item in enumerate(staged) if item.fd is not None]
            flushed = flush_descriptors([item.fd for _, item in written if item.fd is not None])
            for (index, item), error in zip(written, flushed, strict=True):
                try:
                    if error is not None:
                        raise error
                    _set_mtime_and_close(item)
                except OSError as failure:
                    _close_quietly(item)
                    outcome[index] = failure
            folders: dict[str, None] = {}
            for index, item in enumerate(staged):
                if index in outcome:
                    _remove_quietly(item.temp)
                    continue
                try:
                    if item.before_install is not None:
                        item.before_install()
                    os.replace(item.temp, item.target)
                    outcome[index] = None
                    folders[os.path.dirname(item.target)] = None
                except OSError as error:
                    _remove_quietly(item.temp)
                    outcome[index] = error
            for folder in folders:
                fsync_folder(folder)
        except BaseException:
            for index, item in enumerate(staged):
                if index not in outcome:
                    _close_quietly(item)
                    _remove_quietly(item.temp)
            raise
        return [(item.key, outcome[index]) for index, item in enumerate(staged)]

    def discard(self) -> None:
        """Remove every staged temporary file (a run stopped by an unexpected error)."""
        staged, self._staged, self._bytes = self._staged, [], 0
        for item in staged:
            _close_quietly(item)
            _remove_quietly(item.temp)


def _set_mtime_and_close(item: _Staged) -> None:
    """Give a flushed file the source's times (after its data is safe), then close it."""
    fd, item.fd = item.fd, None
    if fd is None:
        return
    try:
        if _UTIME_FD:
            os.utime(fd, ns=item.times)
    finally:
        os.close(fd)
    if not _UTIME_FD:
        os.utime(item.temp, ns=item.times)


def _close_quietly(item: _Staged) -> None:
    fd, item.fd = item.fd, None
    if fd is not None:
        try:
            os.close(fd)
        except OSError:
            pass


def _stage(
    source: str,
    target: str,
    expect_size: int,
    expect_mtime_ns: int,
    cancel: threading.Event | None,
    progress: Callable[[int], None] | None,
    pace: Pacer | None = None,
) -> _Staged:
    """Copy ``source`` into a fresh temporary file beside ``target``; the file is left open."""
    temp = temp_path_for(target)
    src_fd = os.open(source, os.O_RDONLY | _O_BINARY)
    try:
        before = os.fstat(src_fd)
        if before.st_size != expect_size or before.st_mtime_ns != expect_mtime_ns:
            raise ChangedWhileCopying(f"changed since the scan: {source}")
        dst_fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o666)
        try:
            copied = _copy_data(src_fd, dst_fd, before.st_size, cancel, progress, pace)
            after = os.fstat(src_fd)
            if (
                copied != before.st_size
                or after.st_size != before.st_size
                or after.st_mtime_ns != before.st_mtime_ns
            ):
                raise ChangedWhileCopying(f"changed while being copied: {source}")
        except BaseException:
            os.close(dst_fd)
            _remove_quietly(temp)
            raise
    finally:
        os.close(src_fd)
    return _Staged(temp, target, dst_fd, (before.st_atime_ns, before.st_mtime_ns), copied)


def copy_file_atomic(
    source: str,
    target: str,
    *,
    expect_size: int,
    expect_mtime_ns: int,
    cancel: threading.Event | None = None,
    progress: Callable[[int], None] | None = None,
    before_install: Callable[[], None] | None = None,
    batch: InstallBatch | None = None,
    key: object = None,
    pace: Pacer | None = None,
) -> int:
    """Copy ``source`` to a temporary file beside ``target``, flush it, keep its mtime, rename into place.

    Raises ChangedWhileCopying (nothing installed) when the source's size or mtime differ from
    what the plan saw, before or after the copy. ``before_install`` runs just before the rename
    (the caller moves the old target to versions there). Returns the bytes copied.

    With ``batch``, the copy is only written to its temporary name: ``batch.install()`` flushes
    and renames it later, together with the rest of the batch, and reports it under ``key``.
    ``pace`` holds the copy between blocks while the run is paused and keeps it to its bandwidth limit.
    """
    staged = _stage(source, target, expect_size, expect_mtime_ns, cancel, progress, pace)
    staged.before_install = before_install
    staged.key = key
    if batch is not None:
        batch.add(staged)
        return staged.size
    single = InstallBatch()
    single.add(staged)
    for _key, error in single.install():
        if error is not None:
            raise error
    return staged.size


def make_symlink_atomic(link_target: str, target: str) -> None:
    """Create (or replace) a symbolic link at ``target`` via a temporary name."""
    temp = temp_path_for(target)
    os.symlink(link_target, temp)
    try:
        os.replace(temp, target)
    except BaseException:
        _remove_quietly(temp)
        raise


def remove_leftovers(paths: Iterable[str], *, folders: bool = False) -> int:
    """Remove the temporary files (and, with ``folders``, folders) a killed run left; returns how many.

    A leftover that cannot be removed is a warning naming it, never an error: the run goes on.
    """
    removed = 0
    for path in paths:
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                if not folders:
                    continue
                shutil.rmtree(path)
            else:
                os.unlink(path)
            removed += 1
        except OSError as error:
            log.warning("could not remove the leftover %s: %s", path, error.strerror or error)
    return removed


def remove_tree(path: str | Path) -> str | None:
    """Remove a folder and everything in it; None when it is gone, else why not (naming what stayed).

    Unlike ``shutil.rmtree(ignore_errors=True)`` a failure is never silent, and unlike plain
    ``rmtree`` it goes on past the first entry it cannot remove, so as much as possible is removed.
    """
    problems: list[str] = []

    def note(_function: object, where: str, error: BaseException) -> None:
        reason = getattr(error, "strerror", None) or str(error)
        problems.append(f"{where}: {reason}")

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=note)
    else:
        shutil.rmtree(path, onerror=lambda function, where, info: note(function, where, info[1]))
    if not os.path.lexists(path):
        return None
    shown = "; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
    return shown or "it is still there"
