"""The revit job kind: export recently edited Revit Server central models and verify each export.

Phases: ``plan`` reads the server's model table and each model's history (planner.py),
``check`` makes sure the tool can run and the target is apart (safety.py), ``execute`` runs
RevitServerTool per model into a temporary name (export.py), ``verify`` re-checks every export,
remembers it and, after a good run, removes old dated folders (verify.py, retention.py).
"""

from __future__ import annotations

import logging
from datetime import UTC

from engine.core.context import RunContext
from engine.core.events import PhaseChanged
from engine.core.plan import Plan
from engine.core.readback import ReadBack, Sample
from engine.core.report import ItemResult
from engine.jobs.revit import readback
from engine.jobs.revit.export import run_exports
from engine.jobs.revit.planner import build_plan, revit_settings, target_folder
from engine.jobs.revit.retention import prune_dated_folders
from engine.jobs.revit.safety import check_plan
from engine.jobs.revit.verify import verify_exports

__all__ = ["check", "execute", "plan", "read_back", "verify"]

log = logging.getLogger("rearguard.revit")


def plan(ctx: RunContext) -> Plan:
    """Every model in the table with its last edit time and what this run does with it."""
    return build_plan(ctx)


def check(ctx: RunContext, plan: Plan) -> None:
    """Refuse before exporting when the tool cannot run or the target is unsafe."""
    check_plan(ctx, plan)


def execute(ctx: RunContext, plan: Plan) -> list[ItemResult]:
    """Export the planned models; one result per table row, in table order."""
    return run_exports(ctx, plan)


def verify(ctx: RunContext, plan: Plan, results: list[ItemResult]) -> list[ItemResult]:
    """Re-check every export, remember it, and prune old dated folders after a good run."""
    checked = verify_exports(ctx, plan, results)
    failures = sum(1 for r in checked if r.status == "failed")
    if ctx.cancel.is_set():
        return checked
    if failures:
        log.info("old export folders kept: %d model(s) failed in this run", failures)
        return checked
    settings = revit_settings(ctx)
    ctx.reporter(PhaseChanged("delete", f"removing export folders older than {settings.keep_days} days"))
    pruned = prune_dated_folders(target_folder(ctx), ctx.started.astimezone(UTC).date(), settings.keep_days)
    for folder in pruned.removed:
        log.info("removed the old export folder %s", folder)
    for folder in pruned.kept_for_newest_copy:
        log.info("kept the old export folder %s: it holds the newest copy of a model", folder)
    for folder, problem in pruned.failed:
        ctx.warn(f"the old export folder {folder} could not be removed: {problem}")
    if pruned.leftovers:
        log.info("removed %d temporary export(s) left by interrupted runs", pruned.leftovers)
    return checked


def read_back(ctx: RunContext, sample: Sample, run_plan: Plan | None, repair: bool) -> ReadBack:
    """Check the newest export of every model in the sample again (``rearguard verify``)."""
    return readback.read_back(ctx, sample, run_plan, repair)
