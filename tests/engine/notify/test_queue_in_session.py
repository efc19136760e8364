"""The CLI's notifications in two steps: queued with the run's own state database while its session
still holds it (no second opening and check of the database), sent once the session has let go."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.core import state as state_module
from engine.core.errors import RunLocked
from engine.core.folders import Folders
from engine.core.lock import ProfileLock
from engine.core.profiles import Profile, read_profile
from engine.core.report import RunReport
from engine.core.runner import run_profile
from engine.core.state import StateDB
from engine.notify.run_events import Queued, queue_run_finished, send_queued
from tests.fakes.http_receiver import Receiver


def _mirror_profile(folders: Folders, tmp_path: Path) -> Profile:
    """Profile "docs": a one-file source mirrored to a folder."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a")
    path = folders.profiles / "docs.toml"
    path.write_text(
        f'kind = "mirror"\n[mirror]\nsource = "{tmp_path / "src"}"\nreplica = "{tmp_path / "dst"}"\n',
        encoding="utf-8",
    )
    return read_profile(path)


def test_a_run_queues_with_its_own_database_and_sends_after_its_session(
    folders: Folders, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = _mirror_profile(folders, tmp_path)
    opened: list[Path] = []
    real_open = StateDB._open

    def counting_open(self: StateDB) -> object:
        opened.append(self.path)
        return real_open(self)

    monkeypatch.setattr(state_module.StateDB, "_open", counting_open)
    queued: list[Queued] = []

    def recorded(report: RunReport, db: StateDB) -> None:
        with pytest.raises(RunLocked):  # still inside the run's session: its lock is held
            ProfileLock(folders.locks, "docs").acquire()
        history = db.conn.execute("SELECT status FROM runs WHERE id = ?", (report.run_id,)).fetchone()
        assert history == ("ok",)  # the run is in the history already
        queued.append(queue_run_finished(folders, profile, report, db))

    with Receiver() as hook:
        folders.notifications.write_text(
            f'[webhook]\nurl = "{hook.url("/hook")}"\nformat = "json"\nwhen = "always"\n', encoding="utf-8"
        )
        outcome = run_profile(profile, folders, recorded=recorded)
        assert outcome.exit_code == 0 and outcome.report is not None
        assert len(opened) == 1  # the run's own opening only
        (waiting,) = queued
        assert waiting.waiting == ["webhook"] and waiting.notified.queued == ["webhook: docs: backup done"]
        assert hook.requests == []  # nothing is sent while the run holds its lock
        notified = send_queued(folders, profile, waiting)
    assert [r.ok for r in notified.results] == [True]
    (got,) = hook.requests
    assert json.loads(got.body)["profile"] == "docs"


def test_a_dry_run_is_not_recorded_and_queues_nothing(folders: Folders, tmp_path: Path) -> None:
    called: list[RunReport] = []
    profile = _mirror_profile(folders, tmp_path)
    outcome = run_profile(profile, folders, dry_run=True, recorded=lambda r, db: called.append(r))
    assert outcome.exit_code == 0 and called == []
