"""A run's upload is its reachability check: no rclone start only to ask whether the remote answers.

rclone is run through a small wrapper that writes down each command that ran to its end, so the
tests see which calls a run makes, and that an unreachable remote still ends the run with the
reachability check's exit code and its exact words. A command started ahead (ahead.py) and stopped
unused is written down only as started: it never got its list, so it asked the remote nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from engine.core.errors import EXIT_UNAVAILABLE
from engine.core.runner import RunOutcome
from engine.jobs.rclone.preflight import find_rclone
from tests.engine.rclone.conftest import Rig, Target, rclone_processes, recording_rclone, write_files
from tests.fakes.rclone_server import free_port, obscure

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the recording wrapper is a shell script")


def _calls(log: Path) -> list[str]:
    calls = log.read_text().split() if log.exists() else []
    log.unlink(missing_ok=True)
    return calls


def _gone_remote(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    """An sftp remote on a loopback port where nothing listens."""
    env = {
        "TYPE": "sftp",
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "USER": "u",
        "PASS": obscure(find_rclone(), "x"),
    }
    for key, value in env.items():
        monkeypatch.setenv(f"RCLONE_CONFIG_GONE_{key}", value)
    rig.target = Target("sftp", "GONE:backup", rig.target.root)


def _reason(outcome: RunOutcome) -> str:
    return outcome.reason or (outcome.report.reason if outcome.report else "") or ""


def test_a_run_with_a_change_starts_rclone_only_to_upload_and_read_back(
    local_rig: Rig, tmp_path: Path
) -> None:
    wrapper, log = recording_rclone(tmp_path)
    write_files(local_rig.source, {"a.txt": "a", "b/c.txt": "c"})
    assert local_rig.run(rclone=str(wrapper)).exit_code == 0
    _calls(log)
    _calls(log.with_name("started.txt"))
    write_files(local_rig.source, {"b/c.txt": "c2"}, mtime=1_800_000_000)
    outcome = local_rig.run(rclone=str(wrapper))
    assert outcome.exit_code == 0 and outcome.report is not None
    assert [(i.path, i.status) for i in outcome.report.items] == [("b/c.txt", "done")]
    # One upload (it reaches the remote anyway), the read-back of what it wrote; no 'version' (kept
    # per binary) and no 'lsjson --stat' asking first.
    assert _calls(log) == ["copy", "check"]
    # Both were started ahead (the upload as the session opened, the check at the first change)
    # and were the ones used: no other rclone was started.
    assert _calls(log.with_name("started.txt")) == ["copy", "check"]
    assert (local_rig.target.root / "b" / "c.txt").read_text() == "c2"


def test_a_run_with_nothing_to_upload_stops_the_upload_started_ahead(local_rig: Rig, tmp_path: Path) -> None:
    wrapper, log = recording_rclone(tmp_path)
    write_files(local_rig.source, {"a.txt": "a"})
    assert local_rig.run(rclone=str(wrapper)).exit_code == 0
    _calls(log)
    _calls(log.with_name("started.txt"))
    outcome = local_rig.run(rclone=str(wrapper))
    assert outcome.exit_code == 0 and outcome.report is not None and outcome.report.items == []
    assert _calls(log) == ["lsjson"]  # the one small request; the upload never ran
    assert _calls(log.with_name("started.txt")) == ["copy", "lsjson"]
    assert not rclone_processes(str(local_rig.source))


def test_an_unreachable_remote_found_by_the_upload_is_exit_5_with_the_checks_words(
    local_rig: Rig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrapper, log = recording_rclone(tmp_path)
    _gone_remote(local_rig, monkeypatch)
    write_files(local_rig.source, {"a.txt": "a"})
    asked = local_rig.run(dry_run=True, rclone=str(wrapper))  # a dry run still asks the remote first
    assert asked.exit_code == EXIT_UNAVAILABLE and "lsjson" in _calls(log)
    _calls(log.with_name("started.txt"))
    outcome = local_rig.run(rclone=str(wrapper))
    assert _calls(log) == ["copy"]  # no request before it: the upload found out
    # Started ahead and stopped unused: the upload as a run with an index makes it (this first run
    # adopts what the remote has: another command, started when needed), and the read-back's check.
    assert _calls(log.with_name("started.txt")) == ["copy", "check", "copy"]
    assert outcome.exit_code == EXIT_UNAVAILABLE and outcome.report is not None
    assert outcome.report.status != "ok" and outcome.report.items == []
    reason = _reason(outcome)
    assert reason == _reason(asked)  # word for word what the reachability check says
    assert reason.startswith("remote GONE:backup is unreachable (rclone exit 1): ")
    assert "connection refused" in reason
    assert local_rig.index() == {} and local_rig.retries() == {}  # nothing recorded


def test_a_run_with_nothing_to_upload_still_asks_an_unreachable_remote(
    local_rig: Rig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrapper, log = recording_rclone(tmp_path)
    _gone_remote(local_rig, monkeypatch)
    outcome = local_rig.run(rclone=str(wrapper))  # an empty source: nothing to upload or delete
    assert "lsjson" in _calls(log)
    assert outcome.exit_code == EXIT_UNAVAILABLE
    assert _reason(outcome).startswith("remote GONE:backup is unreachable (rclone exit 1): ")
