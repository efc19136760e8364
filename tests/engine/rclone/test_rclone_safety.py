"""Runs that must stop before anything moves, and runs that stop in the middle without harm."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

import pytest

from engine.core.context import RunContext
from engine.core.errors import ProfileError
from engine.core.events import Event, ItemFinished
from engine.core.folders import Folders
from engine.core.runner import run_profile
from engine.core.state import StateDB
from engine.jobs import rclone as job
from engine.jobs.rclone import index, scan
from engine.jobs.rclone.preflight import find_rclone
from tests.engine.rclone.conftest import T0, Rig, Target, write_files
from tests.fakes.rclone_server import free_port, obscure


def _nothing_recorded(rig: Rig) -> None:
    assert rig.index() == {} and rig.retries() == {}


def test_unreachable_remote_gives_exit_5_and_records_nothing(
    local_rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # nothing listens there
    env = {
        "TYPE": "sftp",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "USER": "u",
        "PASS": obscure(find_rclone(), "x"),
    }
    for key, value in env.items():
        monkeypatch.setenv(f"RCLONE_CONFIG_GONE_{key}", value)
    local_rig.target = Target("sftp", "GONE:backup", local_rig.target.root)
    write_files(local_rig.source, {"a.txt": "a"})
    for dry_run in (True, False):
        outcome = local_rig.run(dry_run=dry_run)
        assert outcome.exit_code == 5
        reason = outcome.reason or (outcome.report.reason if outcome.report else "")
        assert reason and "unreachable" in reason and "connection refused" in reason
    _nothing_recorded(local_rig)


def test_missing_rclone_gives_exit_5(local_rig: Rig, tmp_path: Path) -> None:
    write_files(local_rig.source, {"a.txt": "a"})
    outcome = local_rig.run(rclone=str(tmp_path / "no-such-rclone"))
    assert outcome.exit_code == 5 and outcome.report is not None
    assert "rclone not found" in (outcome.report.reason or "")
    _nothing_recorded(local_rig)


def test_broken_rclone_gives_exit_5(local_rig: Rig, tmp_path: Path) -> None:
    broken = tmp_path / "rclone"
    broken.write_text("#!/bin/sh\necho 'segmentation fault' >&2\nexit 139\n")
    broken.chmod(broken.stat().st_mode | stat.S_IEXEC)
    write_files(local_rig.source, {"a.txt": "a"})
    outcome = local_rig.run(rclone=str(broken))
    assert outcome.exit_code == 5 and outcome.report is not None
    assert "does not work" in (outcome.report.reason or "")
    assert not local_rig.target.root.exists()
    _nothing_recorded(local_rig)


def test_missing_source_is_refused(local_rig: Rig) -> None:
    local_rig.source.rmdir()
    outcome = local_rig.run()
    assert outcome.exit_code == 3 and "does not exist" in (outcome.report.reason or "")  # type: ignore[union-attr]


def test_empty_source_never_empties_the_remote(local_rig: Rig) -> None:
    write_files(local_rig.source, {"a.txt": "a", "b.txt": "b", "c.txt": "c"})
    local_rig.run()
    for path in local_rig.source.iterdir():
        path.unlink()
    outcome = local_rig.run(max_delete_percent=100)
    assert outcome.exit_code == 3 and "source is empty" in (outcome.report.reason or "")  # type: ignore[union-attr]
    assert set(local_rig.target.files()) == {"a.txt", "b.txt", "c.txt"}


def test_local_remote_inside_the_source_is_refused(local_rig: Rig) -> None:
    write_files(local_rig.source, {"a.txt": "a"})
    local_rig.target = Target("local", str(local_rig.source / "backup"), local_rig.source / "backup")
    outcome = local_rig.run()
    assert outcome.exit_code == 3 and "remote must not be inside source" in (outcome.report.reason or "")  # type: ignore[union-attr]
    assert not (local_rig.source / "backup").exists()


def test_rearguards_own_state_and_logs_inside_the_source_are_never_uploaded(
    local_rig: Rig, tmp_path: Path
) -> None:
    home = local_rig.source / "rearguard"
    folders = Folders(profiles=home / "profiles", data=home / "data", logs=home / "logs").create()
    write_files(local_rig.source, {"work/a.txt": "a"})
    profile = local_rig.profile()
    for _ in range(2):  # the second run sees the state DB and the first run's log
        assert run_profile(profile, folders).exit_code == 0
    assert (home / "data" / "state.db").exists() and list((home / "logs").rglob("LOG-*.txt"))
    assert set(local_rig.target.files()) == {"work/a.txt"}


def test_unreadable_folder_is_neither_uploaded_nor_deleted(
    local_rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_files(local_rig.source, {"a.txt": "a", "locked/b.txt": "b", "c.txt": "c", "d.txt": "d"})
    local_rig.run()
    real_open = scan.open_folder

    def open_folder(path: str) -> int | None:  # what a folder without read permission does (even for root)
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real_open(path)

    with monkeypatch.context() as patch:
        patch.setattr(scan, "open_folder", open_folder)
        report = local_rig.run().report
    assert report is not None and report.exit_code == 1  # not all done: a folder was not read
    assert [(i.path, i.status) for i in report.items] == [("locked", "failed")]
    assert any("cannot read" in w and "locked" in w for w in report.warnings)
    assert "locked/b.txt" in local_rig.index() and "locked/b.txt" in local_rig.target.files()


def test_cancel_stops_rclone_and_records_only_confirmed_files(rig: Rig) -> None:
    write_files(rig.source, {f"d{i % 10}/f{i:04}.bin": os.urandom(4096) for i in range(600)})
    cancel = threading.Event()

    def reporter(event: Event) -> None:
        if isinstance(event, ItemFinished) and event.status == "done":
            cancel.set()

    outcome = run_profile(rig.profile(transfers=1), rig.folders, reporter=reporter, cancel=cancel)
    assert outcome.exit_code == 130 and outcome.report is not None
    assert outcome.report.status == "cancelled"
    indexed = rig.index()
    assert 0 < len(indexed) < 600
    remote = rig.target.files()
    for path, (size, _) in indexed.items():
        assert remote[path] == (rig.source / path).read_bytes() and len(remote[path]) == size
    assert rig.retries() == {}
    time.sleep(0.2)
    assert not _rclone_copies_running(rig.target.remote)
    assert rig.run().exit_code == 0 and len(rig.index()) == 600


def _rclone_copies_running(remote: str) -> list[int]:
    """Processes of an rclone copy to ``remote`` still alive (Linux: from /proc)."""
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"copy" in argv and remote.encode() in argv:
            found.append(int(entry.name))
    return found


def test_a_file_changed_during_the_upload_is_not_recorded(local_rig: Rig) -> None:
    write_files(local_rig.source, {"a.txt": "a", "busy.txt": "first"})
    state = StateDB(local_rig.folders.state_db)
    try:
        ctx = RunContext(profile=local_rig.profile(), folders=local_rig.folders, state=state)
        plan = job.plan(ctx)
        job.check(ctx, plan)
        results = job.execute(ctx, plan)
        write_files(local_rig.source, {"busy.txt": "second, longer"}, mtime=T0 + 5)
        items = {i.path: i for i in job.verify(ctx, plan, results)}
        assert items["busy.txt"].status == "skipped" and "changed" in items["busy.txt"].message
        assert set(index.load_index(state, "t")) == {"a.txt"}
    finally:
        state.close()
    report = local_rig.run().report
    assert report is not None and [i.path for i in report.items] == ["busy.txt"]
    assert local_rig.target.files()["busy.txt"] == b"second, longer"


def test_bundled_rclone_is_found_next_to_python() -> None:
    assert Path(find_rclone()).name.startswith("rclone")
    assert Path(find_rclone()).is_file()


def test_a_missing_rclone_config_file_is_a_profile_error(local_rig: Rig, tmp_path: Path) -> None:
    write_files(local_rig.source, {"a.txt": "a"})
    with pytest.raises(ProfileError, match=r"\[rclone\]\.config: file not found"):
        local_rig.run(config=str(tmp_path / "missing.conf"))
    assert not local_rig.target.root.exists()
