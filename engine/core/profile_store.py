"""Changing the profiles folder: save, duplicate, rename and delete profile files safely.

Files are written atomically (temporary file, rename). A profile that is running (its lock is
held) is never renamed or deleted, and a rename carries the profile's history with it.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.core.errors import ProfileError
from engine.core.folders import Folders
from engine.core.lock import ProfileLock
from engine.core.profile_toml import merged_text
from engine.core.profiles import Profile, ProfileSpec, dump_profile, profile_path, read_profile
from engine.core.state import StateDB
from engine.files.atomic import atomic_write_text

# Tables whose rows belong to a profile by name; a rename moves them along.
_PROFILE_TABLES = (
    "runs",
    "rclone_index",
    "rclone_target",
    "retry_queue",
    "exports",
    "schedule_state",
    "outbox",
)


def save_profile(folders: Folders, name: str, spec: ProfileSpec) -> Profile:
    """Write ``spec`` as the profile called ``name`` (created or replaced) and return it.

    Replacing a file keeps what its author wrote around the values: comments, order, layout.
    """
    folders.create()
    path = profile_path(folders, name)
    try:
        old = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        old = None
    atomic_write_text(path, dump_profile(spec) if old is None else merged_text(old, spec))
    return Profile(name=name, spec=spec, path=path)


def unique_name(folders: Folders, base: str) -> str:
    """``base``, or ``base 2``, ``base 3``… whichever has no file yet."""
    candidate, number = base, 1
    while profile_path(folders, candidate).exists():
        number += 1
        candidate = f"{base} {number}"
    return candidate


def _refuse_existing(folders: Folders, name: str) -> Path:
    path = profile_path(folders, name)
    if path.exists():
        raise ProfileError(name, [f"a profile called '{name}' already exists"])
    return path


def duplicate_profile(folders: Folders, name: str, new_name: str | None = None) -> Profile:
    """Copy a profile to a new name (default: ``<name> copy``); the copy has no history."""
    source = read_profile(profile_path(folders, name))
    new_name = new_name or unique_name(folders, f"{name} copy")
    path = _refuse_existing(folders, new_name)
    atomic_write_text(path, dump_profile(source.spec))
    return Profile(name=new_name, spec=source.spec, path=path)


def rename_profile(folders: Folders, name: str, new_name: str) -> Path:
    """Rename a profile's file and move its history, index and retry queue to the new name."""
    old_path = profile_path(folders, name)
    if new_name == name:
        return old_path
    if not old_path.exists():
        raise ProfileError(name, ["no such profile"])
    new_path = profile_path(folders, new_name)
    same_file = new_path.exists() and os.path.samefile(new_path, old_path)  # case-only rename
    if new_path.exists() and not same_file:
        raise ProfileError(new_name, [f"a profile called '{new_name}' already exists"])
    with ProfileLock(folders.locks, name, command="rename in the Rearguard window"):
        db = StateDB(folders.state_db)
        try:
            with db.transaction() as conn:
                for table in _PROFILE_TABLES:
                    conn.execute(f"UPDATE {table} SET profile = ? WHERE profile = ?", (new_name, name))
                os.replace(old_path, new_path)
        finally:
            db.close()
    return new_path


def delete_profile(folders: Folders, name: str) -> None:
    """Delete a profile's file (its backups and history stay); refused while it runs."""
    path = profile_path(folders, name)
    with ProfileLock(folders.locks, name, command="delete in the Rearguard window"):
        path.unlink(missing_ok=True)
