"""Reading Revit exports back (``rearguard verify``): every model's newest export, checked again.

An export has no source file to compare with (its source is a model on the Revit Server), so it is
checked for what it must be: a sound ``.rvt`` (``rvt_file.check_rvt``: the compound file opens, its
FAT and directory hold together, ``BasicFileInfo`` is there and names the Revit release; with
``--full`` every stream is read to its end) of a plausible size (not empty, not below half of the
same model's previous export in an older dated folder).

The models are those with a copy in a dated folder (``<target>/<YYYY-MM-DD>/<model path>``, paths
compared case-insensitively as retention does) plus those the state database remembers a good
export of under this target: one whose export is gone is a difference too. An export the run kept
beside the previous one because it was below half its size (``<model>.below-half-<HHMMSS>Z.rvt``)
is a copy of its model like any other: when it is the newest, verify reports the doubt again.
Items are named like the run's, by the model's path in the model table when it is known.

A damaged export cannot be copied again (the model is on the server, not in a folder): ``repair``
queues the model for export, so the next run exports it anew even when nobody edited it, and says so.
"""

from __future__ import annotations

import ntpath
import os
import posixpath
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from engine.core.context import RunContext
from engine.core.errors import ToolUnavailable
from engine.core.events import ItemFinished, PhaseChanged, RunStarted
from engine.core.plan import Plan
from engine.core.readback import ReadBack, Sample
from engine.core.report import ItemResult, human_bytes
from engine.core.state import StateDB
from engine.files.atomic import is_temp_name
from engine.jobs.revit.export_history import previous_exports
from engine.jobs.revit.model_paths import MODEL_SUFFIX, ModelPath, classify, os_path
from engine.jobs.revit.planner import target_folder
from engine.jobs.revit.retention import dated_folders
from engine.jobs.revit.rvt_file import check_rvt

VERIFY = "verify"
NOT_COPYABLE = "it cannot be copied again (its source is the Revit Server)"
# How the run names an export kept beside the previous one (retention.beside_name).
_BESIDE = re.compile(r"\.below-half-\d{6}Z(?:-\d+)?(\.rvt)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ExportCopy:
    """One model's export in one dated folder."""

    day: date
    file: str  # the full path
    rel: str  # relative to the dated folder, with ``/``
    model: str  # the model's export path (``rel`` but for the name of an export kept beside)
    size: int
    mtime_ns: int

    @property
    def beside(self) -> bool:
        return self.rel != self.model

    @property
    def shown(self) -> str:
        return f"{self.day.isoformat()}/{self.rel}"


@dataclass(frozen=True, slots=True)
class _Remembered:
    """The last good export the state database remembers of a model (under this target)."""

    item: str  # the model's path as the table gives it
    day: date | None
    location: str


def export_copies(target: str) -> dict[str, list[ExportCopy]]:
    """Every model's copies in the dated folders, newest first, by its case-folded relative path.

    Newest: the latest dated folder; in one folder, the latest written (an export kept beside).
    """
    found: dict[str, list[ExportCopy]] = {}
    for day, folder in dated_folders(target).items():
        top = os_path(folder)
        for here, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if not is_temp_name(d)]
            for name in files:
                if is_temp_name(name) or not name.lower().endswith(MODEL_SUFFIX):
                    continue
                rel = os.path.relpath(os.path.join(here, name), top).replace(os.sep, "/")
                full = os.path.join(folder, *rel.split("/"))
                try:
                    info = os.stat(os_path(full))
                except OSError:
                    size, mtime = -1, 0  # the check says what is wrong with it
                else:
                    size, mtime = info.st_size, info.st_mtime_ns
                model = _BESIDE.sub(r"\1", rel)
                copy = ExportCopy(day, full, rel, model, size, mtime)
                found.setdefault(model.casefold(), []).append(copy)
    for copies in found.values():
        copies.sort(key=lambda c: (c.day, c.mtime_ns, not c.beside), reverse=True)
    return found


def _relative_under(location: str, target: str) -> list[str] | None:
    """The parts of ``location`` below ``target``, or None when it is not below ``target``."""
    flavour = ntpath if sys.platform == "win32" or "\\" in target else posixpath
    try:
        rel = flavour.relpath(flavour.normcase(location), flavour.normcase(target))
    except ValueError:  # another drive
        return None
    parts = rel.replace("\\", "/").split("/")
    return None if parts[0] in ("..", "") or len(parts) < 2 else parts


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(name)
    except ValueError:
        return None


def remembered_exports(state: StateDB, profile: str, target: str) -> dict[str, _Remembered]:
    """The good exports the state database remembers under ``target``, by case-folded model path."""
    out: dict[str, _Remembered] = {}
    for item, previous in previous_exports(state, profile).items():
        model = classify(item)
        parts = _relative_under(previous.location, target)
        if isinstance(model, ModelPath) and parts is not None:
            out[model.key] = _Remembered(item, _day(parts[0]), previous.location)
    return out


def _item_path(key: str, copies: list[ExportCopy], remembered: _Remembered | None) -> str:
    """The model's path as the run names it: the table's, or the export's with backslashes."""
    if remembered is not None:
        return remembered.item
    return copies[0].model.replace("/", "\\") if copies else key


def read_back(ctx: RunContext, sample: Sample, run_plan: Plan | None, repair: bool) -> ReadBack:
    """Check the newest export of every model the sample wants; ``repair`` queues damaged ones."""
    target = target_folder(ctx)
    if not os.path.isdir(os_path(target)):
        raise ToolUnavailable(f"the export folder {target} is not there or cannot be reached")
    copies = export_copies(target)
    remembered = remembered_exports(ctx.state, ctx.name, target)
    keys = sorted(set(copies) | set(remembered))
    wanted: list[tuple[str, str]] = []
    for key in keys:
        path = _item_path(key, copies.get(key, []), remembered.get(key))
        if sample.wants(path, key):
            wanted.append((key, path))
    standalone = run_plan is None
    total = sum(max(0, copies[key][0].size) for key, _ in wanted if key in copies)
    ctx.reporter(PhaseChanged("read back", f"reading {len(wanted):,} export(s) back from {target}"))
    if standalone:
        ctx.reporter(RunStarted(ctx.name, "revit", len(wanted), total))
    items: list[ItemResult] = []
    for key, path in wanted:
        if ctx.cancel.is_set():
            break
        item = _check_model(ctx, path, copies.get(key, []), remembered.get(key), sample.full)
        if item is None:  # cancelled while reading
            break
        items.append(item)
        if standalone or item.status != "done":
            ctx.reporter(ItemFinished(item.path, item.action, item.status, item.bytes, item.message))
    if repair and not ctx.cancel.is_set():
        items = _queue_damaged(ctx, items, remembered)
    return ReadBack(items, len(keys))


def _check_model(
    ctx: RunContext, path: str, copies: list[ExportCopy], remembered: _Remembered | None, full: bool
) -> ItemResult | None:
    """One model's item: its newest export checked, or why it is missing."""
    newest = copies[0] if copies else None
    if remembered is not None and not os.path.isfile(os_path(remembered.location)):
        newer_left = newest is not None and (remembered.day is None or newest.day >= remembered.day)
        if not newer_left:
            left = f"; the newest export left is {newest.shown}" if newest else ""
            return ItemResult(
                path,
                VERIFY,
                "failed",
                f"missing: the last good export is gone ({remembered.location}){left}",
            )
    if newest is None:  # only remembered, and its file is there: a dated folder spelled oddly
        where = remembered.location if remembered else "?"
        return ItemResult(path, VERIFY, "skipped", f"its last good export {where} is not in a dated folder")
    found = check_rvt(newest.file, full=full, cancel=ctx.cancel)
    if found.cancelled:
        return None
    changed = _changed(newest)
    if changed:
        return ItemResult(
            path, VERIFY, "skipped", f"{newest.shown} changed while it was read: read again next time"
        )
    if found.problem is not None:
        return ItemResult(path, VERIFY, "failed", f"damaged export {newest.file}: {found.problem}")
    previous = copies[1] if len(copies) > 1 else None
    if previous is not None and previous.size > 0 and newest.size * 2 < previous.size:
        return ItemResult(
            path,
            VERIFY,
            "failed",
            f"suspiciously small export {newest.file}: {human_bytes(newest.size)}, less than half the"
            f" previous export ({human_bytes(previous.size)}, {previous.day.isoformat()}); check the model"
            + ("; the run kept it beside the previous one" if newest.beside else ""),
        )
    release = found.release or "the Revit release is not named in BasicFileInfo"
    how = f"all {found.streams} streams read" if full else "structure and BasicFileInfo read"
    return ItemResult(path, VERIFY, "done", f"{release}; {newest.shown}, {how}", newest.size)


def _changed(copy: ExportCopy) -> bool:
    """Whether the file changed (or went) since the folders were listed."""
    try:
        after = os.stat(os_path(copy.file))
    except OSError:
        return copy.size >= 0
    return (after.st_size, after.st_mtime_ns) != (copy.size, copy.mtime_ns)


def _queue_damaged(
    ctx: RunContext, items: list[ItemResult], remembered: dict[str, _Remembered]
) -> list[ItemResult]:
    """Queue the failed models for the next run's export; each failed item says what happens."""
    known = {r.item for r in remembered.values()}
    queue = [item for item in items if item.status == "failed" and item.path in known]
    if queue:
        ctx.reporter(PhaseChanged("repair", f"queueing {len(queue):,} model(s) to be exported again"))
        queue_exports(
            ctx.state,
            ctx.name,
            ((i.path, f"its export failed a read-back by verify: {i.message}") for i in queue),
            ctx.started,
        )
    out = []
    for item in items:
        if item.status != "failed":
            out.append(item)
        elif item.path in known:
            note = (
                f"{NOT_COPYABLE}; queued for export: run the profile again to export it anew, edited or not"
            )
            out.append(ItemResult(item.path, item.action, item.status, f"{item.message}; {note}", item.bytes))
        else:
            note = (
                f"{NOT_COPYABLE}: run the profile again to export it anew"
                " (the next run exports it if it was edited within the window)"
            )
            out.append(ItemResult(item.path, item.action, item.status, f"{item.message}; {note}", item.bytes))
    return out


def queue_exports(state: StateDB, profile: str, models: Iterable[tuple[str, str]], when: datetime) -> None:
    """Put models (table path, why) in the retry queue: the next run exports them, edited or not."""
    stamp = when.isoformat(timespec="seconds")
    with state.transaction() as conn:
        conn.executemany(
            "INSERT INTO retry_queue (profile, path, error, attempts, first_failure, last_failure)"
            " VALUES (?, ?, ?, 0, ?, ?) ON CONFLICT (profile, path) DO NOTHING",
            [(profile, item, why[:500], stamp, stamp) for item, why in models],
        )
