"""rclone and office hours: --bwlimit measured, a window's end (exit 6, nothing sent twice), a long pause.

Against real rclone: a local-folder remote for the timings, the loopback sftp server for the pause
(a pause longer than rclone's --timeout, so the server's side of the connection goes stale).
"""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from engine.core.context import utc_now
from engine.core.events import Event, ItemFinished, LimitChanged, PauseChanged, PhaseChanged
from engine.core.runner import RunOutcome, run_profile
from engine.files.pacing import PauseSwitch
from engine.jobs.rclone.tally import WINDOW_CLOSED
from tests.engine.rclone.conftest import Rig, Target, write_files
from tests.fakes.rclone_server import SftpServer

MIB = 1 << 20
pytestmark = pytest.mark.slow


def _stamped(events: list[tuple[float, Event]]) -> object:
    return lambda event: events.append((time.monotonic(), event))


def _done(outcome: RunOutcome) -> set[str]:
    assert outcome.report is not None
    return {i.path for i in outcome.report.items if i.status == "done"}


def test_a_16_mib_upload_at_4_mib_per_second_takes_4_seconds(local_rig: Rig) -> None:
    write_files(local_rig.source, {"big.bin": os.urandom(16 * MIB)})
    events: list[tuple[float, Event]] = []
    profile = local_rig.profile(bwlimit="4M")
    outcome = run_profile(profile, local_rig.folders, reporter=_stamped(events))  # type: ignore[arg-type]
    assert outcome.exit_code == 0, outcome.report
    began = next(t for t, e in events if isinstance(e, PhaseChanged) and e.phase == "execute")
    ended = next(t for t, e in events if isinstance(e, ItemFinished) and e.path == "big.bin")
    seconds = ended - began
    print(f"rclone --bwlimit 4M: 16 MiB in {seconds:.2f} s = {16 / seconds:.2f} MiB/s (limit 4 MiB/s)")
    assert 3.0 <= seconds <= 5.0
    said = [e.text for _, e in events if isinstance(e, LimitChanged)]
    assert said and said[0] == "limited to 4 MiB/s"
    assert local_rig.target.files()["big.bin"] == (local_rig.source / "big.bin").read_bytes()


def test_the_window_closing_stops_after_the_files_under_way_and_the_next_run_continues(
    local_rig: Rig,
) -> None:
    files = {f"f{i}.bin": os.urandom(2 * MIB) for i in range(6)}
    write_files(local_rig.source, files)
    profile = local_rig.profile(bwlimit="2M", transfers=1)
    # 12 MiB at 2 MiB/s is 6 s; the window closes 2.5 s into the upload.
    first = run_profile(profile, local_rig.folders, window_end=utc_now() + timedelta(seconds=2.5))
    assert first.exit_code == 6 and first.report is not None
    assert first.report.status == "stopped"
    assert "stopped at the end of its window" in (first.report.reason or "")
    sent = _done(first)
    left = {i.path for i in first.report.items if i.message == WINDOW_CLOSED}
    assert sent and left and sent | left == set(files) and not sent & left
    assert set(local_rig.index()) == sent and not local_rig.retries()
    assert set(local_rig.target.files()) == sent  # the file under way finished, none after it started
    second = run_profile(profile, local_rig.folders)
    assert second.exit_code == 0
    assert _done(second) == left, "a file sent before the window closed was sent again"
    assert local_rig.target.files() == files


def test_a_run_whose_window_closed_before_the_upload_sends_nothing(local_rig: Rig) -> None:
    write_files(local_rig.source, {"a.txt": "a"})
    outcome = run_profile(local_rig.profile(), local_rig.folders, window_end=utc_now() - timedelta(seconds=1))
    assert outcome.exit_code == 6 and outcome.report is not None
    assert [i.message for i in outcome.report.items] == [WINDOW_CLOSED]
    assert local_rig.target.files() == {}


def _bytes_below(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.is_dir() else 0


def test_a_pause_longer_than_rclones_timeout_then_the_run_completes(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rclone_env: None, sftp_server: SftpServer
) -> None:
    from engine.core.folders import app_folders

    for key, value in sftp_server.env("SF").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("RCLONE_TIMEOUT", "1s")  # rclone's idle timeout: the pause below is 3x longer
    source = tmp_path / "src"
    source.mkdir()
    rig = Rig(
        app_folders().create(),
        source,
        Target("sftp", f"SF:{tmp_path.name}", sftp_server.root / tmp_path.name),
    )
    files = {f"f{i}.bin": os.urandom(4 * MIB) for i in range(4)}
    write_files(source, files)
    pause = PauseSwitch()
    events: list[Event] = []
    outcome: list[RunOutcome] = []
    runner = threading.Thread(
        target=lambda: outcome.append(
            run_profile(
                rig.profile(bwlimit="4M", transfers=2), rig.folders, pause=pause, reporter=events.append
            )
        )
    )
    runner.start()
    deadline = time.monotonic() + 30
    while _bytes_below(rig.target.root) < 2 * MIB and time.monotonic() < deadline:
        time.sleep(0.05)
    pause.pause()
    time.sleep(0.3)  # the process runner looks every 50 ms
    samples = []
    for _ in range(13):  # 3 s: three times rclone's timeout
        samples.append(_bytes_below(rig.target.root))
        time.sleep(0.25)
    pause.resume()
    runner.join(timeout=60)
    assert outcome, "the run did not end"
    print(f"sftp pause: bytes on the remote during 3 s of pause: {sorted(set(samples))}")
    assert len(set(samples)) == 1, f"bytes on the remote grew during the pause: {samples}"
    assert 0 < samples[0] < 16 * MIB
    assert outcome[0].exit_code == 0, outcome[0].report
    assert rig.target.files() == files
    said = [e for e in events if isinstance(e, PauseChanged)]
    assert [e.paused for e in said] == [True, False] and "paused" in said[0].message


def test_the_upload_command_carries_the_limit_and_the_window() -> None:
    from engine.jobs.rclone.command import upload_argv

    argv = upload_argv(
        "rclone", "/src", "r:b", "/l", versions_dir=None, bwlimit="08:00,512K 19:00,off", max_duration=12.7
    )
    assert argv[argv.index("--bwlimit") + 1] == "08:00,512K 19:00,off"  # one argument, spaces and all
    assert argv[argv.index("--max-duration") + 1] == "12s"
    assert argv[argv.index("--cutoff-mode") + 1] == "soft"
    assert argv.index("--bwlimit") < argv.index("--")
    plain = upload_argv("rclone", "/src", "r:b", "/l", versions_dir=None)
    assert "--bwlimit" not in plain and "--max-duration" not in plain
