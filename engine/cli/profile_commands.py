"""``rearguard list``, ``show`` and ``check``: the profiles, what one holds, whether it is valid."""

from __future__ import annotations

import json
from typing import Any

from engine.cli.output import print_json
from engine.core import errors
from engine.core.errors import ProfileError
from engine.core.folders import Folders
from engine.core.profile_check import profile_problems
from engine.core.profiles import list_profiles, resolve_profile
from engine.core.secrets import run_secrets
from engine.tools.redact import redact


def list_command(folders: Folders, as_json: bool) -> int:
    from engine.core.state import StateDB

    entries = list_profiles(folders)
    db = StateDB(folders.state_db) if folders.state_db.exists() else None
    rows: list[dict[str, Any]] = []
    for entry in entries:
        last = db.last_run(entry.name) if db else None
        spec = entry.profile.spec if entry.profile else None
        rows.append(
            {
                "name": entry.name,
                "path": str(entry.path),
                "kind": spec.kind if spec else None,
                "schedule": spec.schedule.every if spec and spec.schedule else None,
                "description": spec.description if spec else "",
                "last_run": {"started": last.started, "status": last.status} if last else None,
                "error": str(entry.error) if entry.error else None,
            }
        )
    if db:
        db.close()
    if as_json:
        print_json({"profiles_folder": str(folders.profiles), "profiles": rows})
        return errors.EXIT_OK
    if not rows:
        print(f"no profiles yet in {folders.profiles}")
    for row in rows:
        if row["error"]:
            print(f"{row['name']:24} INVALID  {row['error'].splitlines()[0]}")
            continue
        last = row["last_run"]
        last_text = f"last {last['started'][:16]} {last['status']}" if last else "never run"
        every = f"every {row['schedule']}" if row["schedule"] else "manual"
        print(f"{row['name']:24} {row['kind']:7} {every:12} {last_text}")
    return errors.EXIT_OK


def show_command(folders: Folders, ref: str, as_json: bool) -> int:
    from engine.core.profiles import dump_profile
    from engine.core.state import StateDB

    profile = resolve_profile(folders, ref)
    known = run_secrets(profile, folders)  # rclone.conf passwords, the ping URL, webhook tokens
    runs: list[dict[str, Any]] = []
    if folders.state_db.exists():
        db = StateDB(folders.state_db)
        runs = [
            {
                "started": r.started,
                "finished": r.finished,
                "status": r.status,
                "done": r.done,
                "failed": r.failed,
                "bytes": r.bytes,
                "reason": r.reason,
            }
            for r in db.runs(profile.name, limit=10)
        ]
        db.close()
    if as_json:
        data = {
            "name": profile.name,
            "path": str(profile.path) if profile.path else None,
            "profile": profile.spec.model_dump(),
            "runs": runs,
        }
        print(redact(json.dumps(data, ensure_ascii=False), known))
        return errors.EXIT_OK
    print(f"# {profile.name} ({profile.path})")
    print(redact(dump_profile(profile.spec), known))
    print("# recent runs" if runs else "# no runs yet")
    for run in runs:
        why = f" — {run['reason']}" if run["reason"] else ""
        line = f"#   {run['started'][:19]}  {run['status']:11} {run['done']} done, {run['failed']} failed"
        print(redact(line + why, known))
    return errors.EXIT_OK


def check_command(folders: Folders, ref: str) -> int:
    profile = resolve_profile(folders, ref)
    problems = profile_problems(profile, folders)  # what the Settings form shows as you type
    if problems:  # exit 2 naming the other profile, or the folder inside its source
        raise ProfileError(str(profile.path) if profile.path else profile.name, problems)
    schedule = profile.spec.schedule
    when = f"every {schedule.every}" if schedule else "only when asked"
    print(f"{profile.name}: ok ({profile.kind}, runs {when})")
    return errors.EXIT_OK
