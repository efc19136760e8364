"""The mirror and office hours: bwlimit measured, a window's end (exit 6, nothing copied twice), pause.

Timings are real (a token bucket on the wall clock); the window's end is a moment a few seconds
ahead, the way a scheduled run gets it from its window.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from engine.core.context import utc_now
from engine.core.errors import RunLocked
from engine.core.events import Event, ItemFinished, LimitChanged, PauseChanged, PhaseChanged
from engine.core.folders import Folders
from engine.core.profiles import MirrorProfile, Profile
from engine.core.runner import RunOutcome, run_profile
from engine.files.pacing import PauseSwitch
from engine.jobs.mirror import WINDOW_CLOSED

MIB = 1 << 20
pytestmark = pytest.mark.slow


def _profile(tmp_path: Path, **settings: object) -> Profile:
    values = {"source": str(tmp_path / "src"), "replica": str(tmp_path / "dst"), **settings}
    return Profile("t", MirrorProfile.model_validate({"kind": "mirror", "mirror": values}))


def _write(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".rearguard" not in p.parts
    }


def _bytes_below(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.is_dir() else 0


def _done(outcome: RunOutcome) -> set[str]:
    assert outcome.report is not None
    return {i.path for i in outcome.report.items if i.status == "done" and i.action != "mkdir"}


def _timed_run(tmp_path: Path, folders: Folders, **settings: object) -> float:
    events: list[tuple[float, Event]] = []
    outcome = run_profile(
        _profile(tmp_path, **settings), folders, reporter=lambda e: events.append((time.monotonic(), e))
    )
    assert outcome.exit_code == 0, outcome.report
    began = next(t for t, e in events if isinstance(e, PhaseChanged) and e.phase == "execute")
    ended = max(t for t, e in events if isinstance(e, ItemFinished))
    assert [e.text for _, e in events if isinstance(e, LimitChanged)][:1] == ["limited to 4 MiB/s"]
    return ended - began


def test_one_16_mib_file_at_4_mib_per_second_takes_4_seconds(tmp_path: Path, folders: Folders) -> None:
    _write(tmp_path / "src", {"big.bin": os.urandom(16 * MIB)})
    seconds = _timed_run(tmp_path, folders, bwlimit="4M")
    print(f"mirror bwlimit 4M, one file: 16 MiB in {seconds:.2f} s = {16 / seconds:.2f} MiB/s")
    assert 3.0 <= seconds <= 5.0
    assert _tree(tmp_path / "dst") == _tree(tmp_path / "src")


def test_16_mib_in_many_files_at_4_mib_per_second_shared_by_the_workers(
    tmp_path: Path, folders: Folders
) -> None:
    # 4 folders of 64 files of 64 KiB: four chunks, so four copy workers share the one bucket.
    files = {f"d{d}/f{i:02d}.bin": os.urandom(64 * 1024) for d in range(4) for i in range(64)}
    _write(tmp_path / "src", files)
    seconds = _timed_run(tmp_path, folders, bwlimit="4M")
    print(f"mirror bwlimit 4M, 256 files on 4 workers: 16 MiB in {seconds:.2f} s = {16 / seconds:.2f} MiB/s")
    assert 3.0 <= seconds <= 5.0
    assert _tree(tmp_path / "dst") == files


def test_the_window_closing_stops_after_the_files_under_way_and_the_next_run_continues(
    tmp_path: Path, folders: Folders
) -> None:
    files = {f"f{i:02d}.bin": os.urandom(512 * 1024) for i in range(24)}  # 12 MiB: 6 s at 2 MiB/s
    _write(tmp_path / "src", files)
    _write(tmp_path / "dst", {"gone.txt": b"the source no longer has this"})
    profile = _profile(tmp_path, bwlimit="2M", max_delete_percent=100)
    first = run_profile(profile, folders, window_end=utc_now() + timedelta(seconds=2))
    assert first.exit_code == 6 and first.report is not None and first.report.status == "stopped"
    assert "stopped at the end of its window" in (first.report.reason or "")
    copied = _done(first)
    assert 0 < len(copied) < len(files)
    assert set(_tree(tmp_path / "dst")) == copied | {"gone.txt"}  # no half file, and no deletion yet
    assert [i.message for i in first.report.items if i.action == "delete"] == [WINDOW_CLOSED]
    inodes = {rel: os.stat(tmp_path / "dst" / rel).st_ino for rel in copied}
    second = run_profile(profile, folders)
    assert second.exit_code == 0
    assert _done(second) - {"gone.txt"} == set(files) - copied, (
        "a file copied before the window closed went again"
    )
    assert {rel: os.stat(tmp_path / "dst" / rel).st_ino for rel in copied} == inodes
    assert _tree(tmp_path / "dst") == files


def _run_in_thread(
    profile: Profile, folders: Folders, pause: PauseSwitch, **kw: object
) -> tuple[threading.Thread, list[RunOutcome], list[Event]]:
    outcome: list[RunOutcome] = []
    events: list[Event] = []
    thread = threading.Thread(
        target=lambda: outcome.append(
            run_profile(profile, folders, pause=pause, reporter=events.append, **kw)
        )  # type: ignore[arg-type]
    )
    thread.start()
    return thread, outcome, events


def _wait_for_bytes(root: Path, at_least: int) -> None:
    deadline = time.monotonic() + 30
    while _bytes_below(root) < at_least and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_pause_moves_no_byte_then_the_run_finishes(tmp_path: Path, folders: Folders) -> None:
    files = {"a/big.bin": os.urandom(12 * MIB), "b/other.bin": os.urandom(4 * MIB)}
    _write(tmp_path / "src", files)
    pause = PauseSwitch()
    thread, outcome, events = _run_in_thread(_profile(tmp_path, bwlimit="8M"), folders, pause)
    _wait_for_bytes(tmp_path / "dst", 2 * MIB)
    pause.pause()
    time.sleep(0.2)  # the block under way ends
    samples = []
    for _ in range(10):
        samples.append(_bytes_below(tmp_path / "dst"))
        time.sleep(0.2)
    with pytest.raises(RunLocked):  # a paused run keeps its lock
        run_profile(_profile(tmp_path, bwlimit="8M"), folders)
    pause.resume()
    thread.join(timeout=60)
    print(f"mirror pause: bytes on the replica during 2 s of pause: {sorted(set(samples))}")
    assert len(set(samples)) == 1, f"the replica grew while paused: {samples}"
    assert 0 < samples[0] < 16 * MIB
    assert outcome and outcome[0].exit_code == 0
    assert _tree(tmp_path / "dst") == files
    assert [e.paused for e in events if isinstance(e, PauseChanged)] == [True, False]


def test_a_window_closing_while_paused_stops_the_run_and_keeps_no_half_file(
    tmp_path: Path, folders: Folders
) -> None:
    files = {"big.bin": os.urandom(8 * MIB)}
    _write(tmp_path / "src", files)
    pause = PauseSwitch()
    profile = _profile(tmp_path, bwlimit="2M")
    thread, outcome, _ = _run_in_thread(
        profile, folders, pause, window_end=utc_now() + timedelta(seconds=1.5)
    )
    _wait_for_bytes(tmp_path / "dst", MIB)
    pause.pause()
    thread.join(timeout=30)
    assert outcome and outcome[0].exit_code == 6 and outcome[0].report is not None
    assert outcome[0].report.status == "stopped"
    assert _tree(tmp_path / "dst") == {}  # the temporary file of the file under way is gone
    assert run_profile(profile, folders).exit_code == 0
    assert _tree(tmp_path / "dst") == files
