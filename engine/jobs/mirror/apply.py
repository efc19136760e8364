"""Execute a mirror plan: folders, then copies (in parallel), then deletes — each safely.

Copies go through ``copy_file_atomic`` (temp file, rename). A replaced entry moves to versions just
before the new one is renamed in. Deletes run last and are skipped when any copy failed.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from engine.core import testhooks
from engine.core.context import RunContext
from engine.core.events import ItemFinished, ItemProgress, ItemStarted, Reporter
from engine.core.plan import Action, ActionKind
from engine.core.report import ItemResult
from engine.files.atomic import ChangedWhileCopying, CopyCancelled, copy_file_atomic, make_symlink_atomic
from engine.jobs.mirror.versions import move_to_versions, remove_entry

log = logging.getLogger("rearguard.mirror")
WORKERS = 4
SOURCE_GONE = "the source folder disappeared during the run (disconnected?); it is copied on the next run"
CHUNK = 64
_BIG = 1024 * 1024


_SEP = os.sep


def _real(root: str, rel: str) -> str:
    """The OS path of a plan path (``/``-separated, already checked to stay inside)."""
    return root + _SEP + (rel if _SEP == "/" else rel.replace("/", _SEP))


def _reason(error: OSError) -> str:
    if isinstance(error, ChangedWhileCopying):
        return "changed while being copied; it will be copied on the next run"
    if error.errno == errno.ENOSPC:
        return "no space left on the replica's disk"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if error.errno == errno.EBUSY or getattr(error, "winerror", None) == 32:
        return "in use by another program"
    return error.strerror or str(error)


class Mirror:
    """One execution of a plan against a source and replica."""

    def __init__(self, ctx: RunContext, source: str, replica: str, versions: bool) -> None:
        self.ctx = ctx
        self.source = source
        self.replica = replica
        self.versions = versions
        self.stamp = ctx.run_stamp
        self._lock = threading.Lock()
        reporter = ctx.reporter

        def report(event: object) -> None:
            with self._lock:
                reporter(event)  # type: ignore[arg-type]

        self.report: Reporter = report

    # -- replacing what is there ----------------------------------------------------------------

    def _set_aside(self, rel: str) -> None:
        """Move the replica's current entry at ``rel`` out of the way (to versions, or delete)."""
        path = _real(self.replica, rel)
        if not os.path.lexists(path):
            return
        if self.versions:
            move_to_versions(self.replica, rel, self.stamp)
        else:
            remove_entry(path)
        testhooks.reached("set_aside")  # a crash test's kill point; nothing outside those tests

    # -- folders ---------------------------------------------------------------------------------

    def make_folders(self, actions: Sequence[Action]) -> tuple[list[ItemResult], set[str]]:
        results: list[ItemResult] = []
        failed: set[str] = set()
        os.makedirs(self.replica, exist_ok=True)
        for action in actions:
            if self.ctx.cancel.is_set():
                break
            parent = action.path.rpartition("/")[0]
            if parent in failed:
                failed.add(action.path)
                results.append(
                    ItemResult(
                        action.path, action.kind.value, "failed", "its parent folder could not be created"
                    )
                )
                continue
            try:
                if action.kind is ActionKind.REPLACE:
                    self._set_aside(action.path)
                os.mkdir(_real(self.replica, action.path))
                status, message = "done", ""
            except FileExistsError:
                status, message = "done", ""
            except OSError as error:
                failed.add(action.path)
                status, message = "failed", f"folder cannot be created: {_reason(error)}"
            results.append(ItemResult(action.path, action.kind.value, status, message))
            self.report(ItemFinished(action.path, action.kind.value, status, 0, message))
        return results, failed

    # -- files -----------------------------------------------------------------------------------

    def _copy_one(self, action: Action) -> ItemResult:
        rel, kind = action.path, action.kind.value
        target = _real(self.replica, rel)
        before: Callable[[], None] | None = (
            (lambda: self._set_aside(rel)) if action.kind is ActionKind.REPLACE else None
        )
        link = dict(action.detail).get("link") if action.detail else None
        try:
            if link is not None:
                if before is not None:
                    before()
                make_symlink_atomic(str(link), target)
                return ItemResult(rel, kind, "done", "", 0)
            big = action.bytes >= _BIG
            progress = None
            if big:
                self.report(ItemStarted(rel, kind, action.bytes))
                total = action.bytes

                def progress(done: int) -> None:
                    self.report(ItemProgress(rel, done, total))

            copy_file_atomic(
                _real(self.source, rel),
                target,
                expect_size=action.bytes,
                expect_mtime_ns=action.mtime_ns or 0,
                cancel=self.ctx.cancel,
                progress=progress,
                before_install=before,
            )
            return ItemResult(rel, kind, "done", "", action.bytes)
        except CopyCancelled:
            return ItemResult(rel, kind, "skipped", "cancelled")
        except FileNotFoundError as error:
            if not os.path.lexists(_real(self.source, rel)):
                if not os.path.isdir(self.source):  # the share or disk went away, not just this file
                    return ItemResult(rel, kind, "failed", SOURCE_GONE)
                return ItemResult(rel, kind, "skipped", "no longer in the source")
            return ItemResult(rel, kind, "failed", _reason(error))
        except OSError as error:
            return ItemResult(rel, kind, "failed", _reason(error))

    def _copy_chunk(self, chunk: Sequence[Action]) -> list[ItemResult]:
        out = []
        for action in chunk:
            if self.ctx.cancel.is_set():
                break
            result = self._copy_one(action)
            out.append(result)
            self.report(ItemFinished(result.path, result.action, result.status, result.bytes, result.message))
        return out

    def copy_files(self, actions: Sequence[Action], failed_dirs: set[str]) -> list[ItemResult]:
        results: list[ItemResult] = []
        todo: list[Action] = []
        for action in actions:
            if failed_dirs and action.path.rpartition("/")[0] in failed_dirs:
                results.append(
                    ItemResult(action.path, action.kind.value, "failed", "its folder could not be created")
                )
            else:
                todo.append(action)
        chunks = _chunks_by_folder(todo, CHUNK)
        if len(chunks) <= 1:
            for chunk in chunks:
                results.extend(self._copy_chunk(chunk))
            return results
        with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="mirror") as pool:
            for part in pool.map(self._copy_chunk, chunks):
                results.extend(part)
        return results

    # -- deletes ---------------------------------------------------------------------------------

    def delete(self, actions: Sequence[Action]) -> list[ItemResult]:
        results = []
        for action in actions:
            if self.ctx.cancel.is_set():
                break
            try:
                self._set_aside(action.path)
                result = ItemResult(
                    action.path, "delete", "done", "moved to versions" if self.versions else ""
                )
            except FileNotFoundError:
                result = ItemResult(action.path, "delete", "done", "already gone")
            except OSError as error:
                result = ItemResult(action.path, "delete", "failed", _reason(error))
            results.append(result)
            self.report(ItemFinished(action.path, "delete", result.status, result.bytes, result.message))
        return results


def _chunks_by_folder(actions: Sequence[Action], size: int) -> list[list[Action]]:
    """Split into chunks of about ``size`` that keep a folder's files together.

    Workers then create files in different folders at once, which the filesystem handles in
    parallel (one folder's entries are updated under one lock).
    """
    chunks: list[list[Action]] = []
    current: list[Action] = []
    folder = None
    for action in actions:
        parent = action.path.rpartition("/")[0]
        if current and parent != folder and len(current) >= size:
            chunks.append(current)
            current = []
        folder = parent
        current.append(action)
    if current:
        chunks.append(current)
    return chunks
