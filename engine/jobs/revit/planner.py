"""Planning a Revit run: every table row becomes an export action or a note saying why not.

The plan is what ``--dry-run --json`` prints and what the GUI previews: each model with its last
edit time, whether it is inside the window, and the reason for what happens to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.core.context import RunContext
from engine.core.durations import parse_duration
from engine.core.errors import ProfileError
from engine.core.events import PhaseChanged
from engine.core.plan import Action, ActionKind, Plan
from engine.core.profiles import RevitSettings, expand
from engine.jobs.revit.edit_time import (
    EditTime,
    describe_age,
    format_hours,
    inside_window,
    iso_utc,
    read_last_edit,
    window_start,
)
from engine.jobs.revit.export_history import (
    PendingRetry,
    PreviousExport,
    mark_pending,
    pending_retries,
    previous_exports,
)
from engine.jobs.revit.model_paths import (
    ModelPath,
    classify,
    expected_folder,
    export_day_folder,
    export_destination,
    model_folder,
)
from engine.jobs.revit.model_table import TableRow, read_model_table

# Plan.extra key: model -> where an export below half the previous one was kept (set by execute).
KEPT_BESIDE = "kept_beside"


def revit_settings(ctx: RunContext) -> RevitSettings:
    settings = getattr(ctx.profile.spec, "revit", None)
    assert isinstance(settings, RevitSettings), "revit job given a profile of another kind"
    return settings


def profile_source(ctx: RunContext) -> str:
    """How error messages name the profile: its file, or its name."""
    return str(ctx.profile.path) if ctx.profile.path else ctx.profile.name


def timeout_seconds(ctx: RunContext) -> float:
    seconds = parse_duration(revit_settings(ctx).timeout).total_seconds()
    if seconds <= 0:
        raise ProfileError(profile_source(ctx), ["[revit].timeout: must be more than 0"])
    return seconds


def run_day(ctx: RunContext) -> str:
    """The dated export folder's name: the run's start as a UTC date."""
    return ctx.started.astimezone(UTC).strftime("%Y-%m-%d")


def target_folder(ctx: RunContext) -> str:
    return str(expand(revit_settings(ctx).target))


def detail_value(action: Action, key: str, default: Any = None) -> Any:
    """One value of an action's detail pairs."""
    for name, value in action.detail:
        if name == key:
            return value
    return default


def rows_in_order(plan: Plan) -> list[Action]:
    """Every table row's entry (export action or note), in table order."""
    return sorted((*plan.actions, *plan.notes), key=lambda a: int(detail_value(a, "row", 0)))


@dataclass
class _Planner:
    ctx: RunContext
    settings: RevitSettings
    projects: Path
    target: str
    day: str
    now: datetime
    start: datetime | None
    previous: dict[str, PreviousExport]
    retries: dict[str, PendingRetry]

    def note(self, row: TableRow, status: str, reason: str) -> Action:
        """A row this run does not export, with the same keys as an export for the preview."""
        path = row.path if isinstance(row.path, str) else repr(row.path)
        return Action(
            ActionKind.EXPORT,
            path,
            detail=(
                ("row", row.number),
                ("status", status),
                ("reason", reason),
                ("last_edit", None),
                ("edit_time", None),
                ("in_window", None),
            ),
        )

    def decide(self, row: TableRow, model: ModelPath) -> Action:
        folder = model_folder(self.projects, model)
        if folder is None:
            missing = expected_folder(self.projects, model)
            return self.note(row, "failed", f"model folder missing: {missing}")
        edit = read_last_edit(folder)
        include, reason, warnings = self.judge(model, edit)
        if model.normalised:
            warnings.append(
                f"the export is saved as '{model.display}' because Windows cannot"
                " store names ending in a dot or space"
            )
        detail: list[tuple[str, Any]] = [
            ("row", row.number),
            ("status", "planned" if include else "skipped"),
            ("reason", reason),
            ("last_edit", iso_utc(edit.when)),
            ("edit_time", "history" if edit.known else "unknown"),
            ("in_window", inside_window(edit.when, self.start) if edit.when else None),
        ]
        if include:
            detail.append(("destination", export_destination(self.target, self.day, model)))
        if edit.data_files_changed is not None:
            detail.append(("data_files_changed", iso_utc(edit.data_files_changed)))
        if row.guid:
            detail.append(("guid", row.guid))
        if warnings:
            detail.append(("warning", "; ".join(warnings)))
            for warning in warnings:
                self.ctx.warn(f"{model.raw}: {warning}")
        previous = self.previous.get(model.raw)
        size = previous.size if previous else 0
        return Action(ActionKind.EXPORT, model.raw, bytes=size if include else 0, detail=tuple(detail))

    def judge(self, model: ModelPath, edit: EditTime) -> tuple[bool, str, list[str]]:
        """(export it?, why, warnings) for a model whose folder exists."""
        window = format_hours(self.settings.window_hours)
        if edit.when is None:
            return (
                True,
                f"edit time unknown ({edit.problem}): exported anyway",
                [f"edit time unknown: {edit.problem}; exported anyway"],
            )
        age = describe_age(self.now, edit.when)
        if self.start is None:
            return True, f"edited {age}; window 0 exports every model", []
        if inside_window(edit.when, self.start):
            return True, f"edited {age}, inside the {window} window", []
        retry = self.retries.get(model.raw)
        if retry is not None:
            return (
                True,
                (
                    f"outside the {window} window (edited {age}), but its export did not"
                    f" succeed on {retry.last_failure[:10]} ({retry.error}): retrying"
                ),
                [],
            )
        return False, f"outside the {window} window: edited {age}", []


def _table_path(settings: RevitSettings) -> str:
    return str(expand(settings.model_table_path))


def build_plan(ctx: RunContext) -> Plan:
    """Read the model table and each model's history; decide what this run exports."""
    settings = revit_settings(ctx)
    source = profile_source(ctx)
    projects = expand(settings.projects_dir)
    table = _table_path(settings)
    ctx.reporter(PhaseChanged("scan", f"reading the model table {table}"))
    rows = read_model_table(table, source)
    if not projects.is_dir():
        raise ProfileError(source, [f"[revit].projects_dir: folder not found: {projects}"])
    timeout_seconds(ctx)
    now = ctx.started.astimezone(UTC)
    target = target_folder(ctx)
    planner = _Planner(
        ctx,
        settings,
        projects,
        target,
        run_day(ctx),
        now,
        window_start(now, settings.window_hours),
        previous_exports(ctx.state, ctx.name),
        pending_retries(ctx.state, ctx.name),
    )
    actions: list[Action] = []
    notes: list[Action] = []
    first_row: dict[str, TableRow] = {}
    for row in rows:
        model = classify(row.path)
        if not isinstance(model, ModelPath):
            notes.append(planner.note(row, model.status, model.reason))
            continue
        if model.key in first_row:
            first = first_row[model.key]
            notes.append(
                planner.note(
                    row, "skipped", f"duplicate of table row {first.number} ({first.path}): exported once"
                )
            )
            continue
        first_row[model.key] = row
        decided = planner.decide(row, model)
        (actions if detail_value(decided, "status") == "planned" else notes).append(decided)
    if not ctx.dry_run:
        mark_pending(ctx.state, ctx.name, [a.path for a in actions], now)
    return Plan(
        actions=tuple(actions),
        notes=tuple(notes),
        extra={
            "now": iso_utc(now),
            "window_hours": settings.window_hours,
            "window_start": iso_utc(planner.start),
            "model_table": table,
            "table_rows": len(rows),
            "export_folder": export_day_folder(target, planner.day),
        },
    )
