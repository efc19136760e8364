"""Reading a replica back: every file in the sample is compared with the source, byte for byte.

A verify walks both trees (or, after a run, reuses the run's walk), then reads the files of the
folders whose slice is due (``engine.core.readback``) plus what the run wrote, both sides, and
compares them. Size and time alone are not trusted: a file rotted on a USB disk keeps both.

Differences are items: ``missing`` (on the source, not on the replica), ``differs`` (content),
``unreadable`` (either side). A file the source changed since the last backup is not a difference
(the next run copies it) and an extra file on the replica is one the next run moves to versions:
both are reported as skipped, with the reason. ``repair`` copies again what differs or is missing,
keeping the damaged copy under versions first.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Collection, Iterator
from datetime import datetime
from itertools import chain

from engine.core.context import RunContext
from engine.core.events import ItemFinished, PhaseChanged, RunStarted
from engine.core.filters import PathFilter
from engine.core.plan import Action, ActionKind, InOrder, Plan, action_paths
from engine.core.profiles import MirrorSettings, expand
from engine.core.readback import ReadBack, Sample
from engine.core.report import ItemResult
from engine.files.atomic import is_temp_name
from engine.files.compare import CHANGED, DIFFERS, MISSING, MOVED_ON, SAME, Comparison, compare_files
from engine.jobs.mirror.apply import Mirror, real_path
from engine.jobs.mirror.walk import STATE_DIR, mtime_equal

VERIFY, REPAIR = "verify", "repair"
# Files compared at once. Reading from the disk, four readers keep it busy: `verify --full` of
# 100,000 files with cold caches took 9.0 s with four, 15.3 s with one. What the run has just
# written is still in memory: there readers only wait for each other (one Python thread runs at a
# time, and each system call hands that turn over), and the same verify with warm caches took 2.7 s
# with one reader, 5.0 s with four. So the run's own copies are read back by one.
READERS = 4
READERS_IN_MEMORY = 1
CHUNK = 256  # files per task: few tasks in flight, whatever the sample's size


def _files_in(folder: str, rel: str, filt: PathFilter) -> Iterator[tuple[str, int]]:
    """(relative path, size) of the regular files directly in ``folder`` that the profile backs up."""
    prefix = rel + "/" if rel else ""
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if name[0] == "." and (is_temp_name(name) or (not rel and name == STATE_DIR)):
                    continue
                if not entry.is_file(follow_symlinks=False):
                    continue
                if filt.active and filt.excluded(prefix + name, name, False):
                    continue
                try:
                    size = entry.stat(follow_symlinks=False).st_size
                except OSError:
                    size = 0
                yield prefix + name, size
    except OSError:
        return


def _pending(plan: Plan, since: datetime | None, standalone: bool) -> tuple[list[ItemResult], list[Action]]:
    """What the walk found out of step: skipped items (not yet backed up, extras) and differences."""
    if not standalone:
        return [], []
    items: list[ItemResult] = []
    differences: list[Action] = []
    for action in plan.actions:
        if action.is_dir:
            continue
        if action.kind is ActionKind.DELETE:
            items.append(
                ItemResult(
                    action.path, VERIFY, "skipped", "extra on the replica: the next run moves it to versions"
                )
            )
        elif since is not None and (action.mtime_ns or 0) >= since.timestamp() * 1e9:
            items.append(
                ItemResult(
                    action.path, VERIFY, "skipped", "changed since the last backup: the next run copies it"
                )
            )
        else:
            differences.append(action)
    return items, differences


def _moved_on(step: int) -> Callable[[os.stat_result, os.stat_result], str | None]:
    """Why a file is not comparable now: the source's time moved on since the copy was made.

    Damage is what size and time cannot show: the copy keeps the source's modification time, so a
    copy with the same time but other bytes (or another size) is damaged; a source with a newer
    time was simply changed by someone since, and the next run copies it.
    """

    def moved_on(src: os.stat_result, dst: os.stat_result) -> str | None:
        if not mtime_equal(src.st_mtime_ns, dst.st_mtime_ns, step):
            return "changed since it was copied: the next run copies it"
        return None

    return moved_on


def _compare_all(
    source: str, replica: str, names: list[str], step: int, cancel: threading.Event, readers: int
) -> Iterator[tuple[str, Comparison]]:
    """Each name with its comparison, in order; ``readers`` chunks at a time, stopping on cancel."""
    rule = _moved_on(step)

    def chunk(part: list[str]) -> list[tuple[str, Comparison]]:
        out = []
        for rel in part:
            if cancel.is_set():
                break
            out.append((rel, compare_files(real_path(source, rel), real_path(replica, rel), cancel, rule)))
        return out

    parts = [names[i : i + CHUNK] for i in range(0, len(names), CHUNK)]
    if len(parts) <= 1 or readers <= 1:
        for part in parts:
            yield from chunk(part)
        return
    from concurrent.futures import ThreadPoolExecutor  # not imported by a run with nothing to do

    with ThreadPoolExecutor(max_workers=readers, thread_name_prefix="read-back") as pool:
        # At most readers * 2 chunks wait at once (memory stays flat for a 100,000-file sample).
        waiting = deque(pool.submit(chunk, part) for part in parts[: readers * 2])
        following = iter(parts[readers * 2 :])
        while waiting:
            yield from waiting.popleft().result()
            more = next(following, None)
            if more is not None:
                waiting.append(pool.submit(chunk, more))


def read_back(
    ctx: RunContext, settings: MirrorSettings, sample: Sample, plan: Plan, repair: bool, standalone: bool
) -> ReadBack:
    """Compare the sample's files on the replica with the source; optionally copy them again."""
    source, replica = str(expand(settings.source)), str(expand(settings.replica))
    filt = PathFilter(settings.exclude, settings.include_hidden, where="[mirror].exclude")
    last = ctx.state.last_run(ctx.name, good=True)
    since = datetime.fromisoformat(last.started) if last else None
    items, out_of_step = _pending(plan, since, standalone)
    pending: set[str] | None = None  # what the plan copies: built only when a slice is due
    wanted: dict[str, int] = {}
    for folder in plan.extra.get("matched_folders", []):
        if sample.wants_key(folder):
            if pending is None:
                pending = set(action_paths(plan.actions))
            for rel, size in _files_in(real_path(source, folder), folder, filt):
                if rel not in pending:
                    wanted[rel] = size
    written, written_bytes = _written_files(plan, sample.written, wanted)
    files = int(plan.extra.get("source_files", 0)) or len(wanted)
    count = len(wanted) + len(written)
    ctx.reporter(PhaseChanged("read back", f"reading {count:,} file(s) back from {replica}"))
    if standalone:
        total = sum(wanted.values()) + written_bytes
        ctx.reporter(RunStarted(ctx.name, "mirror", count + len(out_of_step), total))
    damaged: list[Action] = []
    same = 0
    step = int(plan.extra.get("mtime_step_ns", 1))
    compared = chain(
        _compare_all(source, replica, sorted(wanted), step, ctx.cancel, READERS),
        _compare_all(source, replica, written, step, ctx.cancel, READERS_IN_MEMORY),
    )
    for rel, found in compared:
        if found.outcome == MOVED_ON:
            items.append(ItemResult(rel, VERIFY, "skipped", found.detail))
            continue
        if found.outcome == SAME:
            item = ItemResult(rel, VERIFY, "done", "", found.bytes)
        elif found.outcome == CHANGED:
            item = ItemResult(rel, VERIFY, "skipped", f"not compared: {found.detail}")
        else:
            item = ItemResult(rel, VERIFY, "failed", f"{found.outcome}: {found.detail}")
            if found.outcome in (DIFFERS, MISSING):
                damaged.append(Action(ActionKind.REPLACE, rel, wanted.get(rel, 0)))
        if not standalone and item.status == "done":
            same += 1  # after a run only the differences are items
            continue
        ctx.reporter(ItemFinished(item.path, item.action, item.status, item.bytes, item.message))
        items.append(item)
    for action in out_of_step:
        what = "missing on the replica" if action.kind is ActionKind.COPY else "differs in size or time"
        items.append(ItemResult(action.path, VERIFY, "failed", f"{what} (not changed since the last backup)"))
        damaged.append(Action(ActionKind.REPLACE, action.path, action.bytes, mtime_ns=action.mtime_ns))
    if repair and damaged and not ctx.cancel.is_set():
        items += _repair(ctx, source, replica, damaged)
    return ReadBack(items, files, same)


def _written_files(plan: Plan, written: Collection[str], wanted: dict[str, int]) -> tuple[list[str], int]:
    """The regular files the run wrote (the plan's copies, in its order) not already ``wanted``; their bytes.

    A list, not a map: after a first copy of 100,000 files it holds 0.8 MB where a dict held 4 MB.
    The run's results name them in the plan's order, so they are matched in one pass (InOrder).
    """
    if not written:
        return [], 0
    copies = InOrder(plan.actions)
    paths: list[str] = []
    size = 0
    for path in written:
        if path in wanted:
            continue
        action = copies.find(path)
        if action is not None and not (action.detail and "link" in dict(action.detail)):
            paths.append(path)
            size += action.bytes
    return paths, size


def _repair(ctx: RunContext, source: str, replica: str, damaged: list[Action]) -> list[ItemResult]:
    """Copy the damaged files again; each replaced copy goes to versions first."""
    ctx.reporter(PhaseChanged("repair", f"copying {len(damaged):,} file(s) again"))
    actions = []
    for action in damaged:
        try:
            st = os.lstat(real_path(source, action.path))
        except OSError:
            continue
        actions.append(Action(ActionKind.REPLACE, action.path, st.st_size, mtime_ns=st.st_mtime_ns))
    results = Mirror(ctx, source, replica, versions=True).copy_files(actions, set())
    return [
        ItemResult(
            r.path,
            REPAIR,
            r.status,
            "copied again; the damaged copy is kept under versions" if r.status == "done" else r.message,
            r.bytes,
        )
        for r in results
    ]
