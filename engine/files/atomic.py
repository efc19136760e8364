"""Writing into a target so that nothing is ever half-written under a real name.

Every file goes to a temporary name beside its target and is renamed over it when complete
(the pattern of rclone's ``.partial`` and FreeFileSync's ``.ffs_tmp``). Temporary names are
recognisable so the next run can remove leftovers from a killed run.
"""

from __future__ import annotations

import itertools
import logging
import os
import secrets
import shutil
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

log = logging.getLogger("rearguard.files")

TEMP_PREFIX = ".~rg."
TEMP_SUFFIX = ".part"
_CHUNK = 8 * 1024 * 1024
_SMALL = 1024 * 1024
_HAS_SENDFILE = hasattr(os, "sendfile")
_O_BINARY = getattr(os, "O_BINARY", 0)
_UTIME_FD = os.utime in os.supports_fd


class ChangedWhileCopying(OSError):
    """The source file changed size or time while it was copied."""


class CopyCancelled(Exception):
    """The copy stopped because the run was cancelled; the temporary file is removed."""


def is_temp_name(name: str) -> bool:
    """True for a name made by ``temp_path_for`` (a leftover if found by a later run)."""
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)


_RUN_TOKEN = secrets.token_hex(3)
_counter = itertools.count()


def temp_path_for(target: str | Path) -> str:
    """A fresh temporary name in the target's folder (same filesystem, so rename is atomic).

    Unique per process (a random token per process plus a counter), so no syscall per name.
    """
    head, tail = os.path.split(os.fspath(target))
    return os.path.join(head, f"{TEMP_PREFIX}{_RUN_TOKEN}{next(_counter):x}.{tail[:120]}{TEMP_SUFFIX}")


def _fsync_dir(folder: str) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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
        _fsync_dir(os.path.dirname(os.fspath(target)))


def atomic_write_text(target: str | Path, text: str, *, fsync: bool = True) -> None:
    atomic_write_bytes(target, text.encode("utf-8"), fsync=fsync)


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _copy_data(
    src_fd: int,
    dst_fd: int,
    size: int,
    cancel: threading.Event | None,
    progress: Callable[[int], None] | None,
) -> int:
    """Copy ``src_fd`` to ``dst_fd`` until EOF; returns bytes copied."""
    done = 0
    if _HAS_SENDFILE:
        while True:
            if cancel is not None and cancel.is_set():
                raise CopyCancelled()
            try:
                sent = os.sendfile(dst_fd, src_fd, done, _CHUNK)
            except OSError as error:
                if done == 0 and error.errno in (22, 38):  # EINVAL/ENOSYS: fall back to read/write
                    break
                raise
            if sent == 0:
                return done
            done += sent
            if done == size and size < _CHUNK:
                return done  # small file complete: skip the extra call that would return 0
            if progress is not None and size >= _SMALL:
                progress(done)
    os.lseek(src_fd, done, os.SEEK_SET)
    while True:
        if cancel is not None and cancel.is_set():
            raise CopyCancelled()
        block = os.read(src_fd, _CHUNK)
        if not block:
            return done
        view = memoryview(block)
        while view:
            written = os.write(dst_fd, view)
            view = view[written:]
        done += len(block)
        if progress is not None and size >= _SMALL:
            progress(done)


def copy_file_atomic(
    source: str,
    target: str,
    *,
    expect_size: int,
    expect_mtime_ns: int,
    cancel: threading.Event | None = None,
    progress: Callable[[int], None] | None = None,
    before_install: Callable[[], None] | None = None,
    fsync: bool = False,
) -> int:
    """Copy ``source`` to a temporary file beside ``target``, keep its mtime, rename into place.

    Raises ChangedWhileCopying (nothing installed) when the source's size or mtime differ from
    what the plan saw, before or after the copy. ``before_install`` runs just before the rename
    (the caller moves the old target to versions there). Returns the bytes copied.
    """
    temp = temp_path_for(target)
    src_fd = os.open(source, os.O_RDONLY | _O_BINARY)
    try:
        before = os.fstat(src_fd)
        if before.st_size != expect_size or before.st_mtime_ns != expect_mtime_ns:
            raise ChangedWhileCopying(f"changed since the scan: {source}")
        dst_fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o666)
        try:
            try:
                copied = _copy_data(src_fd, dst_fd, before.st_size, cancel, progress)
                after = os.fstat(src_fd)
                if (
                    copied != before.st_size
                    or after.st_size != before.st_size
                    or after.st_mtime_ns != before.st_mtime_ns
                ):
                    raise ChangedWhileCopying(f"changed while being copied: {source}")
                if _UTIME_FD:
                    os.utime(dst_fd, ns=(before.st_atime_ns, before.st_mtime_ns))
                if fsync:
                    os.fsync(dst_fd)
            finally:
                os.close(dst_fd)
            if not _UTIME_FD:
                os.utime(temp, ns=(before.st_atime_ns, before.st_mtime_ns))
            if before_install is not None:
                before_install()
            os.replace(temp, target)
        except BaseException:
            _remove_quietly(temp)
            raise
    finally:
        os.close(src_fd)
    return copied


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
