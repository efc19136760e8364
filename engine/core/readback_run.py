"""Running a read-back: ``rearguard verify``, and the sample read after every run.

Chooses the sample (``engine.core.readback``), asks the job kind to read it (``read_back``), keeps
the rotation in the state database, and turns what was found into report items: one per file read
with ``verify``, only the differences after a run.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from engine.core.context import RunContext
from engine.core.durations import parse_duration
from engine.core.kinds import JobKind
from engine.core.plan import Plan
from engine.core.readback import (
    SLICES,
    ReadBack,
    Sample,
    WrittenPaths,
    describe_coverage,
    due,
    full_pass,
    load_rotation,
    save_rotation,
)
from engine.core.report import ItemResult

DEFAULT_CYCLE = "30d"
WRITING_ACTIONS = frozenset({"copy", "replace", "upload", "export"})


def _settings(ctx: RunContext) -> Any:
    return getattr(ctx.profile.spec, ctx.profile.kind)


def _cycle(ctx: RunContext) -> timedelta:
    return parse_duration(getattr(_settings(ctx), "verify_cycle", DEFAULT_CYCLE))


def merge_repairs(items: list[ItemResult]) -> list[ItemResult]:
    """One line per path: a difference that was copied again becomes a done ``repair`` item."""
    repaired = {i.path: i for i in items if i.action == "repair" and i.status == "done"}
    merged = []
    for item in items:
        if item.action == "repair" and item.status == "done":
            continue
        fixed = repaired.get(item.path) if item.status == "failed" else None
        if fixed is not None:
            item = replace(fixed, message=f"{item.message}; {fixed.message}")
        merged.append(item)
    return merged


def verify_items(ctx: RunContext, job: JobKind, *, full: bool, repair: bool) -> tuple[ReadBack, str]:
    """``rearguard verify``: read back a sample (or everything) and record how far the rotation came."""
    now = ctx.clock()
    rotation = load_rotation(ctx.state, ctx.name)
    if full:
        sample, after = Sample(full=True), full_pass(now, 0)
    else:
        day = max(1, round(SLICES * timedelta(days=1) / _cycle(ctx)))  # by hand: a day's share at least
        step = due(rotation, now, _cycle(ctx), at_least=day)
        sample, after = Sample(slices=step.slices), step.after
    found = job.read_back(ctx, sample, None, repair)
    found.items = merge_repairs(found.items)
    if not ctx.cancel.is_set():
        after = replace(after, files=found.files)
        save_rotation(ctx.state, ctx.name, after)
    return found, describe_coverage(after, now)


def sample_after_run(
    ctx: RunContext, job: JobKind, plan: Plan, results: list[ItemResult]
) -> tuple[list[ItemResult], str | None]:
    """Read back what the run wrote plus the slices due; returns the differences and a summary line."""
    mode = getattr(_settings(ctx), "verify", "off")
    if mode == "off" or ctx.cancel.is_set() or not hasattr(job, "read_back"):
        return [], None
    written = WrittenPaths(r.path for r in results if r.status == "done" and r.action in WRITING_ACTIONS)
    now = ctx.clock()
    rotation = load_rotation(ctx.state, ctx.name)
    # Only the slices the time since the last sample has earned (none for runs minutes apart): every
    # file is still read within the cycle, and a profile run every few minutes pays nothing extra.
    step = due(rotation, now, _cycle(ctx), at_least=0) if mode == "sample" else None
    sample = Sample(slices=step.slices if step else frozenset(), written=written)
    found = job.read_back(ctx, sample, plan, False)
    if ctx.cancel.is_set():
        return found.differences, None
    coverage = ""
    if step is not None:
        after = replace(step.after, files=found.files)
        save_rotation(ctx.state, ctx.name, after)
        coverage = f"; {describe_coverage(after, now)}"
    differences = [replace(d, message=f"read back: {d.message}") for d in found.differences]
    summary = f"read back {found.read:,} file(s): {len(differences) or 'no'} difference(s){coverage}"
    return differences, summary
