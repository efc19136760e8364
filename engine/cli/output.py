"""What the CLI prints: one JSON object with ``--json``, otherwise a summary a person reads."""

from __future__ import annotations

import json

from engine.core.profiles import Profile
from engine.core.runner import RunOutcome


def print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=None))


def print_outcome(outcome: RunOutcome, profile: Profile, as_json: bool) -> None:
    if as_json:
        print_json(outcome.as_json(profile.name, profile.kind))
        return
    if outcome.report is not None:
        report = outcome.report
        print(report.summary())
        for warning in report.warnings:
            print(f"  warning: {warning}")
        failures = report.failures
        for item in failures[:20]:
            print(f"  {item.status}: {item.action} {item.path}: {item.message}")
        if len(failures) > 20:
            print(f"  … and {len(failures) - 20} more (see the log)")
        return
    plan = outcome.plan
    if plan is not None:
        for action in plan.actions[:200]:
            print(f"  {action.kind.value:8} {action.path}{'/' if action.is_dir else ''}  {action.bytes} B")
        if len(plan.actions) > 200:
            print(f"  … and {len(plan.actions) - 200} more")
        print(f"{profile.name}: dry run — {len(plan.actions)} action(s), {plan.total_bytes} bytes")
    if outcome.reason:
        print(f"refused: {outcome.reason}")
