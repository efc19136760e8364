"""``rearguard verify PROFILE [--full] [--repair] [--json]``: read the backup back and compare it."""

from __future__ import annotations

import argparse
import sys

from engine.cli.notify_commands import report_notified
from engine.cli.output import print_outcome
from engine.cli.progress_line import ProgressLine
from engine.cli.run_commands import CancelOnSignal
from engine.core.folders import Folders
from engine.core.profiles import resolve_profile
from engine.core.runner import verify_profile
from engine.notify.run_events import notify_run_finished


def verify_command(folders: Folders, args: argparse.Namespace) -> int:
    """Exit 0 when nothing differs (or all was repaired), 1 with differences, 5 target unreachable."""
    profile = resolve_profile(folders, args.profile)
    with CancelOnSignal() as cancel:
        progress = ProgressLine(enabled=not args.json and sys.stderr.isatty())
        outcome = verify_profile(
            profile,
            folders,
            full=args.full,
            repair=args.repair,
            reporter=progress,
            cancel=cancel,
            trigger="cli",
        )
        progress.clear()
    print_outcome(outcome, profile, args.json)
    if outcome.report is not None:  # differences are news; a channel that is down changes nothing
        report_notified(notify_run_finished(folders, profile, outcome.report))
    return outcome.exit_code
