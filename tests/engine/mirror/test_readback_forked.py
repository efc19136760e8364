"""The read-back of what a run just wrote, in forked readers: the same verdicts, in the same order,
as one reader in this process; a cancel ends the readers."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from engine.files.compare import DIFFERS, MISSING, SAME
from engine.jobs.mirror import readback

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is used on Linux only")
FILES = readback.CHUNK * readback.FORK_FROM_PARTS + 37  # just over the size that forks


def _pair(tmp_path: Path) -> tuple[str, str, list[str]]:
    source, replica = tmp_path / "src", tmp_path / "dst"
    names = []
    for n in range(FILES):
        rel = f"d{n % 9}/f{n:05}.txt"
        for root in (source, replica):
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f"file {n}\n".encode())
            os.utime(path, ns=(10**18, 10**18 + n))
        names.append(rel)
    damaged = replica / names[1500]
    damaged.write_bytes(damaged.read_bytes().upper())  # same size, other bytes
    os.utime(damaged, ns=(10**18, 10**18 + 1500))
    (replica / names[2050]).unlink()
    return str(source), str(replica), names


def _verdicts(source: str, replica: str, names: list[str], cancel: threading.Event) -> list[tuple[str, str]]:
    compared = readback._compare_all(source, replica, names, 1, cancel, 1, in_memory=True)
    return [(rel, found.outcome) for rel, found in compared]


def test_forked_readers_give_the_verdicts_of_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source, replica, names = _pair(tmp_path)
    forks = []
    real = readback.forked_map
    monkeypatch.setattr(readback, "forked_map", lambda *a, **k: forks.append(1) or real(*a, **k))
    monkeypatch.setattr(readback, "fork_is_safe", lambda: True)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    forked = _verdicts(source, replica, names, threading.Event())
    monkeypatch.setattr(readback, "fork_is_safe", lambda: False)
    alone = _verdicts(source, replica, names, threading.Event())
    assert forks == [1]  # the first pass forked, the second did not
    assert forked == alone and [rel for rel, _ in forked] == names
    assert {outcome for _, outcome in forked} == {SAME, DIFFERS, MISSING}
    assert forked[1500][1] == DIFFERS and forked[2050][1] == MISSING


def test_a_cancel_ends_the_forked_readers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source, replica, names = _pair(tmp_path)
    monkeypatch.setattr(readback, "fork_is_safe", lambda: True)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    cancel = threading.Event()
    seen = 0
    for _ in readback._compare_all(source, replica, names, 1, cancel, 1, in_memory=True):
        seen += 1
        if seen == 10:
            cancel.set()
    assert seen == readback.CHUNK  # the chunk under way is given out; no other one is
    assert readback._job is None
