"""Saving, duplicating, renaming and deleting profiles from the window: files and history stay right."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.core.errors import ProfileError, RunLocked
from engine.core.folders import Folders, app_folders
from engine.core.lock import ProfileLock
from engine.core.profile_store import delete_profile, duplicate_profile, rename_profile, save_profile
from engine.core.profiles import MirrorProfile, read_profile
from engine.core.report import RunReport
from engine.core.state import StateDB

SPEC = MirrorProfile.model_validate({"kind": "mirror", "mirror": {"source": "/a", "replica": "/b"}})


@pytest.fixture
def folders(home: Path) -> Folders:
    return app_folders().create()


def test_save_then_read_back(folders: Folders) -> None:
    profile = save_profile(folders, "usb", SPEC)
    assert profile.path is not None and read_profile(profile.path).spec == SPEC


def test_duplicate_gets_a_free_name(folders: Folders) -> None:
    save_profile(folders, "usb", SPEC)
    assert duplicate_profile(folders, "usb").name == "usb copy"
    assert duplicate_profile(folders, "usb").name == "usb copy 2"
    with pytest.raises(ProfileError, match="already exists"):
        duplicate_profile(folders, "usb", "usb copy")


def test_rename_carries_the_history(folders: Folders) -> None:
    save_profile(folders, "usb", SPEC)
    db = StateDB(folders.state_db)
    run_id = db.start_run(RunReport("usb", "mirror", datetime.now(UTC)))
    db.finish_run(run_id, RunReport("usb", "mirror", datetime.now(UTC), finished=datetime.now(UTC)))
    db.close()
    rename_profile(folders, "usb", "usb disk")
    assert not (folders.profiles / "usb.toml").exists()
    db = StateDB(folders.state_db)
    assert [r.profile for r in db.runs()] == ["usb disk"]
    db.close()


def test_running_profile_is_not_renamed_or_deleted(folders: Folders) -> None:
    save_profile(folders, "usb", SPEC)
    with ProfileLock(folders.locks, "usb"):
        with pytest.raises(RunLocked):
            rename_profile(folders, "usb", "other")
        with pytest.raises(RunLocked):
            delete_profile(folders, "usb")
    delete_profile(folders, "usb")
    assert not (folders.profiles / "usb.toml").exists()
