"""The mirror job kind: make a replica folder an exact copy of a source, keeping versions.

Phases: ``plan`` (scan + compare, in walk.py), ``check`` (safety.py), ``execute`` (apply.py),
``verify`` (each copied file is stat-ed on the replica).
"""

from __future__ import annotations

import os

from engine.core.context import RunContext
from engine.core.durations import parse_duration
from engine.core.errors import SafetyRefusal, ToolUnavailable
from engine.core.events import PhaseChanged
from engine.core.filters import PathFilter
from engine.core.plan import Action, ActionKind, ActionList, InOrder, Plan
from engine.core.profiles import MirrorSettings, expand
from engine.core.readback import ReadBack, Sample
from engine.core.report import ItemResult
from engine.files.atomic import remove_leftovers
from engine.jobs.mirror import readback
from engine.jobs.mirror.apply import Mirror, real_path
from engine.jobs.mirror.parallel_walk import compare_trees_fast
from engine.jobs.mirror.safety import check_folders, check_plan
from engine.jobs.mirror.versions import prune_versions
from engine.jobs.mirror.walk import mtime_equal, probe_mtime_step

__all__ = ["check", "execute", "plan", "read_back", "verify"]
_COPIES = (ActionKind.COPY.value, ActionKind.REPLACE.value)
WINDOW_CLOSED = "the window closed; this waits for the next run"


def _settings(ctx: RunContext) -> MirrorSettings:
    settings = getattr(ctx.profile.spec, "mirror", None)
    assert isinstance(settings, MirrorSettings), "mirror job given a profile of another kind"
    return settings


def _folders(settings: MirrorSettings) -> tuple[str, str]:
    return str(expand(settings.source)), str(expand(settings.replica))


def plan(ctx: RunContext) -> Plan:
    """Scan both trees and decide what to copy, replace and delete."""
    settings = _settings(ctx)
    source, replica = _folders(settings)
    check_folders(source, replica, ctx.log_dir)
    ctx.reporter(PhaseChanged("scan", f"comparing {source} with {replica}"))
    filt = PathFilter(settings.exclude, settings.include_hidden, where="[mirror].exclude")
    step = probe_mtime_step(replica) if os.path.isdir(replica) else 1
    walk = compare_trees_fast(source, replica, filt, delete=settings.delete, mtime_step=step)
    if walk.unreadable == ["."]:
        raise SafetyRefusal(f"source {source} cannot be read")
    actions = walk.copies
    actions.extend(walk.deletes)
    return Plan(
        actions=actions,
        notes=tuple(walk.notes),
        extra={
            "source_entries": walk.source_entries,
            "replica_files": walk.replica_files,
            "delete_files": walk.delete_files,
            "leftovers": list(walk.leftovers),
            "matched_folders": walk.folders,
            "source_files": walk.source_entries - walk.source_others,
            "mtime_step_ns": step,
        },
    )


def check(ctx: RunContext, plan: Plan) -> None:
    check_plan(plan, _settings(ctx).max_delete_percent)


def execute(ctx: RunContext, plan: Plan) -> list[ItemResult]:
    settings = _settings(ctx)
    source, replica = _folders(settings)
    removed = remove_leftovers(plan.extra.get("leftovers", []))
    if removed:
        ctx.log.info("removed %d temporary file(s) left by an interrupted run", removed)
    mirror = Mirror(ctx, source, replica, settings.versions)
    actions = plan.actions if isinstance(plan.actions, ActionList) else ActionList(plan.actions)
    held = actions.held()  # folders, links and deletions: the plain files stay compact
    folders = [a for a in held if a.is_dir and a.kind is not ActionKind.DELETE]
    deletes = [a for a in held if a.kind is ActionKind.DELETE]
    files = actions.without(lambda a: a.is_dir or a.kind is ActionKind.DELETE)
    results = [
        ItemResult(
            n.path,
            n.kind.value,
            str(dict(n.detail).get("status", "skipped")),
            str(dict(n.detail).get("reason", "")),
        )
        for n in plan.notes
    ]
    folder_results, failed_dirs = mirror.make_folders(folders)
    results += folder_results
    results += mirror.copy_files(files, failed_dirs)
    failures = sum(1 for r in results if r.status == "failed")
    if ctx.cancel.is_set():
        # The runner reports the run as cancelled, keeping what was copied (each file complete).
        results += [ItemResult(a.path, "delete", "skipped", "cancelled") for a in deletes]
        return results
    if ctx.window_closed.is_set() and (deletes or ctx.left_for_next_run):
        # The runner reports the run as stopped at its window's end; the next run continues.
        results += [ItemResult(a.path, "delete", "skipped", WINDOW_CLOSED) for a in deletes]
        ctx.left_by_window(len(deletes))
        return results
    if deletes and failures:
        ctx.warn(f"{len(deletes)} deletion(s) skipped because {failures} item(s) failed")
        results += [
            ItemResult(a.path, "delete", "skipped", "skipped because another item failed") for a in deletes
        ]
    else:
        ctx.reporter(PhaseChanged("delete"))
        results += mirror.delete(deletes)
    if settings.versions:
        pruned = prune_versions(replica, parse_duration(settings.keep_versions), ctx.clock(), ctx.run_stamp)
        for folder, problem in pruned.failed:
            ctx.warn(f"the old versions folder {folder} could not be removed: {problem}")
    return results


def verify(ctx: RunContext, plan: Plan, results: list[ItemResult]) -> list[ItemResult]:
    """Check every file that claims to be copied: present on the replica with size and mtime."""
    _, replica = _folders(_settings(ctx))
    step = int(plan.extra.get("mtime_step_ns", 1))
    if step == 1 and os.path.isdir(replica):
        step = probe_mtime_step(replica)  # the replica may have been created by this run
    checked: list[ItemResult] = []
    files = InOrder(plan.actions)
    for result in results:
        done_copy = result.status == "done" and result.action in _COPIES
        action = files.find(result.path) if done_copy else None
        if action is not None and action.mtime_ns is not None:
            problem = _verify_file(real_path(replica, action.path), action, step)
            if problem:
                result = ItemResult(result.path, result.action, "failed", problem, 0)
        checked.append(result)
    return checked


def read_back(ctx: RunContext, sample: Sample, run_plan: Plan | None, repair: bool) -> ReadBack:
    """Compare the replica's files with the source's (``rearguard verify``, or the sample after a run)."""
    if run_plan is None:
        replica = str(expand(_settings(ctx).replica))
        if not os.path.isdir(replica):
            raise ToolUnavailable(f"the replica {replica} cannot be reached (a disk not connected?)")
    walked = plan(ctx) if run_plan is None else run_plan
    return readback.read_back(ctx, _settings(ctx), sample, walked, repair, standalone=run_plan is None)


def _verify_file(path: str, action: Action, step: int) -> str | None:
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return "verification failed: not found on the replica after copying"
    if st.st_size != action.bytes:
        return f"verification failed: {st.st_size} bytes on the replica, expected {action.bytes}"
    if not mtime_equal(action.mtime_ns or 0, st.st_mtime_ns, step):
        return "verification failed: modification time differs on the replica"
    return None
