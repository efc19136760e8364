"""The job kinds, found through one registry by name (so core never imports a kind). Each kind is a
package with the same five functions.

- ``plan(ctx) -> Plan``: look at source and target, decide; raises SafetyRefusal/ToolUnavailable.
- ``check(ctx, plan) -> None``: safety checks on the plan; raises SafetyRefusal with a reason.
- ``execute(ctx, plan) -> list[ItemResult]``: do it, reporting events, honouring ``ctx.cancel``.
- ``verify(ctx, plan, results) -> list[ItemResult]``: check every claimed success on the target.
- ``read_back(ctx, sample, plan, repair) -> ReadBack``: read the backup back and compare it with the
  source (``rearguard verify``, and the sample after each run; ``plan`` is the run's, or None).
- optional ``start_ahead(profile, started, window_end, held, secrets) -> None``: start, as a real
  run's session opens, a tool a later phase will likely need (``held`` keeps it; see
  ``engine.core.context.HeldOver``); never raises, never changes what the run does.

Kinds never import each other (an import-linter contract); they share engine's common modules.
"""

from __future__ import annotations

import importlib
from typing import Protocol

from engine.core.context import RunContext
from engine.core.plan import Plan
from engine.core.readback import ReadBack, Sample
from engine.core.report import ItemResult

KIND_MODULES = {
    "mirror": "engine.jobs.mirror",
    "rclone": "engine.jobs.rclone",
    "revit": "engine.jobs.revit",
}


class JobKind(Protocol):
    def plan(self, ctx: RunContext) -> Plan: ...

    def check(self, ctx: RunContext, plan: Plan) -> None: ...

    def execute(self, ctx: RunContext, plan: Plan) -> list[ItemResult]: ...

    def verify(self, ctx: RunContext, plan: Plan, results: list[ItemResult]) -> list[ItemResult]: ...

    def read_back(self, ctx: RunContext, sample: Sample, plan: Plan | None, repair: bool, /) -> ReadBack: ...


def job_for(kind: str) -> JobKind:
    """The job kind module for ``kind`` (imported on first use, so a CLI run loads only its own)."""
    module: JobKind = importlib.import_module(KIND_MODULES[kind])
    return module
