"""Safety checks before a mirror touches its replica: a run that looks wrong is refused with a reason."""

from __future__ import annotations

import os

from engine.core.errors import SafetyRefusal
from engine.core.plan import Plan
from engine.files.pathsafety import is_within, overlap_problem


def check_folders(source: str, replica: str, log_dir: str | None) -> None:
    """Refuse when the source is missing/unreadable, the folders overlap, or the replica is unsafe."""
    if not os.path.exists(source):
        raise SafetyRefusal(f"source {source} does not exist (not mounted? disconnected?)")
    if not os.path.isdir(source):
        raise SafetyRefusal(f"source {source} is not a folder")
    if not os.access(source, os.R_OK | os.X_OK):
        raise SafetyRefusal(f"source {source} cannot be read (permission denied)")
    problem = overlap_problem(source, replica)
    if problem:
        raise SafetyRefusal(f"{problem}: source {source}, replica {replica}")
    if log_dir and (is_within(log_dir, replica) and is_within(replica, log_dir)):
        raise SafetyRefusal(f"replica {replica} is the log folder; choose another replica")
    if log_dir and is_within(replica, log_dir):
        raise SafetyRefusal(f"replica {replica} is inside the log folder {log_dir}")
    if os.path.lexists(replica) and not os.path.isdir(replica):
        raise SafetyRefusal(f"replica {replica} exists and is not a folder")
    parent = os.path.dirname(os.path.abspath(replica))
    if not os.path.isdir(parent):
        raise SafetyRefusal(f"the replica's parent folder {parent} does not exist (disk not connected?)")


def check_plan(plan: Plan, max_delete_percent: float) -> None:
    """Refuse an empty source over a full replica and deletions above the allowed share."""
    replica_files = int(plan.extra.get("replica_files", 0))
    delete_files = int(plan.extra.get("delete_files", 0))
    if plan.extra.get("source_entries", 0) == 0 and replica_files > 0:
        raise SafetyRefusal(
            f"source is empty but the replica has {replica_files} files; refusing to empty the "
            "replica (is the source disk or share mounted?)"
        )
    if replica_files and delete_files:
        share = 100.0 * delete_files / replica_files
        if share > max_delete_percent:
            raise SafetyRefusal(
                f"the run would delete {delete_files} of {replica_files} files in the replica "
                f"({share:.0f} %, more than max_delete_percent = {max_delete_percent:g}); "
                "if that is intended, raise max_delete_percent in the profile"
            )
