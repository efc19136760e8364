"""Shared set-up for the notification tests: a home with folders, a profile, runs in the history,
and a keyring that is a file (no OS keyring exists on a test machine)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from engine.core.folders import Folders, app_folders
from engine.core.profiles import Profile, read_profile
from engine.core.report import ItemResult, RunReport
from engine.core.state import StateDB
from tests.fakes.keyring_backend import ENV, FileKeyring

T0 = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)


@pytest.fixture
def folders(home: Path) -> Folders:
    return app_folders().create()


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FileKeyring]:
    monkeypatch.setenv(ENV, str(tmp_path / "keyring.json"))
    before: KeyringBackend = keyring.get_keyring()
    backend = FileKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)


def write_profile(folders: Folders, name: str, notify: str = "", source: str = "/data/src") -> Profile:
    path = folders.profiles / f"{name}.toml"
    path.write_text(
        f'kind = "mirror"\n{notify}\n[mirror]\nsource = "{source}"\nreplica = "/backup/{name}"\n',
        encoding="utf-8",
    )
    return read_profile(path)


def finished_report(
    profile: str,
    status: str = "failed",
    *,
    started: datetime = T0,
    failures: int = 2,
    reason: str | None = None,
    run_kind: str = "backup",
    folders: Folders | None = None,
) -> RunReport:
    """A finished run's report; recorded in the history when ``folders`` is given."""
    report = RunReport(profile, "mirror", started, run_kind=run_kind)
    report.items = [
        ItemResult(f"docs/file{i}.dwg", "copy", "failed", "permission denied") for i in range(failures)
    ]
    report.items.append(ItemResult("docs/ok.txt", "copy", "done", "", 1234))
    report.planned = len(report.items)
    report.status, report.reason = status, reason
    report.finished = started + timedelta(seconds=42)
    report.run_id = 1
    if folders is not None:
        db = StateDB(folders.state_db)
        try:
            report.run_id = db.start_run(report, "cli")
            db.finish_run(report.run_id, report)
        finally:
            db.close()
    return report
