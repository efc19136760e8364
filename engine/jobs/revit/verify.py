"""Is an export a good ``.rvt``? The checks, in the reference's order, and the verify phase.

1. the file exists; 2. it is not empty and starts with the OLE2 header; 3. it was written after
the export started; 4. (a warning, not a failure) it is not below half the previous good export
of the same model; one that is, is kept beside the previous one instead of over it. The tool's
exit code alone is never trusted. 1-4 run before the export is renamed into place; 1-3 again on
the installed file in the verify phase.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import replace

from engine.core.context import RunContext
from engine.core.plan import Plan
from engine.core.report import ItemResult, human_bytes
from engine.jobs.revit.export_history import ExportRecord, PreviousExport, record_run
from engine.jobs.revit.model_paths import os_path
from engine.jobs.revit.planner import KEPT_BESIDE, detail_value, rows_in_order

log = logging.getLogger("rearguard.revit")

OLE2_HEADER = bytes.fromhex("D0CF11E0A1B11AE1")
MTIME_SLACK = 2.0  # seconds: FAT and some SMB shares store times coarsely


def export_problem(path: str, started_wall: float | None = None) -> str | None:
    """What is wrong with the export file at ``path``, or None when it looks like a good .rvt.

    ``started_wall`` is the export's start (``time.time()``); None skips the age check.
    """
    try:
        info = os.stat(os_path(path))
    except FileNotFoundError:
        return "no file was written"
    except OSError as error:
        return f"the file cannot be read ({error.strerror or error})"
    if not stat.S_ISREG(info.st_mode):
        return "the export is not a file"
    if info.st_size == 0:
        return "the file is empty (0 bytes)"
    try:
        with open(os_path(path), "rb") as handle:
            header = handle.read(len(OLE2_HEADER))
    except OSError as error:
        return f"the file cannot be read ({error.strerror or error})"
    if len(header) < len(OLE2_HEADER):
        return f"the file is truncated ({info.st_size} bytes)"
    if header != OLE2_HEADER:
        return "the file is not a Revit file (it does not start with the OLE2 header)"
    if started_wall is not None and info.st_mtime < started_wall - MTIME_SLACK:
        return "the file is older than the export's start (a stale file, not this export)"
    return None


def size_warning(size: int, previous: PreviousExport | None) -> str | None:
    """A warning when a new export is below half the previous good one (the model may be damaged)."""
    if previous is None or previous.size <= 0 or size * 2 >= previous.size:
        return None
    return (
        f"the export ({human_bytes(size)}) is less than half the previous one"
        f" ({human_bytes(previous.size)}, {previous.exported_at[:10]}); check the model"
    )


def verify_exports(ctx: RunContext, plan: Plan, results: list[ItemResult]) -> list[ItemResult]:
    """Check every claimed export on the target, remember good ones, queue failures for retry.

    ``results`` come from ``execute``: one per table row, in table order (``rows_in_order``).
    """
    entries = rows_in_order(plan)
    if len(entries) != len(results):
        raise ValueError(f"{len(results)} results for {len(entries)} table rows")
    planned = {id(action) for action in plan.actions}
    kept_beside: dict[str, str] = plan.extra.get(KEPT_BESIDE, {})
    checked: list[ItemResult] = []
    exported: list[ExportRecord] = []
    failed: list[tuple[str, str]] = []
    for entry, result in zip(entries, results, strict=True):
        if id(entry) in planned:
            if result.status == "done":
                destination = kept_beside.get(result.path) or str(detail_value(entry, "destination"))
                result = _check_installed(result, destination)
                if result.status == "done":
                    exported.append(ExportRecord(result.path, result.bytes, destination))
            if result.status != "done":
                failed.append((result.path, result.message or result.status))
        checked.append(result)
    models = {entry.path for entry in entries if detail_value(entry, "status") != "refused"}
    record_run(ctx.state, ctx.name, ctx.started, exported=exported, failed=failed, models_in_table=models)
    return checked


def _check_installed(result: ItemResult, destination: str) -> ItemResult:
    """Check the export where it was installed (its size against the previous one was checked
    before it was renamed into place: see ``size_warning`` in export.py)."""
    problem = export_problem(destination)
    if problem:
        log.warning("%s: the installed export failed its check: %s", result.path, problem)
        return replace(
            result,
            status="failed",
            bytes=0,
            message=f"the export failed its check after installing: {problem}",
        )
    return result
