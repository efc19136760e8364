from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.core.folders import Folders, app_folders
from engine.core.profiles import MirrorProfile, Profile
from engine.core.runner import RunOutcome, run_profile

MirrorRun = Callable[..., RunOutcome]


@pytest.fixture
def folders(home: Path) -> Folders:
    return app_folders().create()


@pytest.fixture
def mirror(folders: Folders, tmp_path: Path) -> MirrorRun:
    """Run a mirror profile of tmp/src -> tmp/dst with extra [mirror] settings."""

    def run(dry_run: bool = False, **settings: Any) -> RunOutcome:
        values = {"source": str(tmp_path / "src"), "replica": str(tmp_path / "dst")}
        values.update(settings)
        spec = MirrorProfile.model_validate({"kind": "mirror", "mirror": values})
        return run_profile(Profile("t", spec), folders, dry_run=dry_run)

    return run
