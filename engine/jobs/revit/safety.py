"""Checks before anything is exported: the tool can run, the target is reachable and apart.

Raises ToolUnavailable (exit 5) for a missing or unrunnable tool or an unreachable target, and
SafetyRefusal (exit 3) when the target overlaps the server's Projects folder or an export path
would leave the target.
"""

from __future__ import annotations

import os

from engine.core.context import RunContext
from engine.core.errors import ProfileError, SafetyRefusal, ToolUnavailable
from engine.core.plan import Plan
from engine.core.profiles import expand
from engine.files.pathsafety import is_within
from engine.jobs.revit.planner import detail_value, profile_source, revit_settings, target_folder
from engine.jobs.revit.tool_command import tool_problem


def _inside(child: str, parent: str) -> bool:
    child_n = os.path.normcase(os.path.abspath(child))
    parent_n = os.path.normcase(os.path.abspath(parent))
    try:
        return os.path.commonpath([child_n, parent_n]) == parent_n
    except ValueError:
        return False


def check_plan(ctx: RunContext, plan: Plan) -> None:
    """Refuse the run before the first export when it cannot or must not go ahead."""
    settings = revit_settings(ctx)
    problem = tool_problem(str(expand(settings.tool)))
    if problem:
        raise ToolUnavailable(
            f"{problem} (set [revit].tool to RevitServerTool.exe of the server's Revit version)"
        )
    projects = str(expand(settings.projects_dir))
    target = target_folder(ctx)
    if is_within(target, projects):
        raise SafetyRefusal(
            f"[revit].target {target} is inside the server's Projects folder"
            f" {projects}; exports must go elsewhere"
        )
    if is_within(projects, target):
        raise SafetyRefusal(
            f"the server's Projects folder {projects} is inside [revit].target"
            f" {target}; old export folders could be removed from it"
        )
    if os.path.exists(target) and not os.path.isdir(target):
        raise ProfileError(profile_source(ctx), [f"[revit].target: {target} is a file, not a folder"])
    parent = os.path.dirname(os.path.normpath(target))
    if not os.path.exists(target) and not os.path.isdir(parent):
        raise ToolUnavailable(
            f"[revit].target {target} is not reachable (no such folder, and"
            f" its parent folder {parent} does not exist either)"
        )
    for action in plan.actions:
        destination = str(detail_value(action, "destination", ""))
        if not _inside(destination, target):
            raise SafetyRefusal(
                f"the export of {action.path} would be written outside the target: {destination}"
            )
