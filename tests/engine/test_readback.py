"""Reading a backup back: the rotation that reads every file once per cycle, and the byte compare."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.readback import SLICES, Rotation, Sample, describe_coverage, due, slice_of
from engine.files.compare import CHANGED, DIFFERS, MISSING, SAME, UNREADABLE, compare_files

T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
CYCLE = timedelta(days=30)


def test_a_run_every_4_hours_reads_4_slices_and_a_month_covers_everything() -> None:
    rotation, read = Rotation(), set()
    now = T0
    first = due(rotation, now, CYCLE)
    assert len(first.slices) == 1  # the first sample: one slice, then by the time that passed
    rotation = first.after
    read |= first.slices
    runs = 0
    while rotation.covered_since is None:
        now += timedelta(hours=4)
        step = due(rotation, now, CYCLE)
        assert len(step.slices) == 4
        read |= step.slices
        rotation = step.after
        runs += 1
    assert read == set(range(SLICES))
    assert now - T0 <= CYCLE  # every file read back within the cycle
    assert rotation.covered_since == T0  # the pass began at the first sample
    assert runs == (SLICES - 1 + 3) // 4


def test_a_profile_idle_longer_than_its_cycle_reads_everything_once() -> None:
    rotation = due(Rotation(), T0, CYCLE).after
    step = due(rotation, T0 + timedelta(days=45), CYCLE)
    assert step.slices == frozenset(range(SLICES))
    assert step.after.covered_since == T0 + timedelta(days=45)


def test_by_hand_at_least_a_days_share_is_read() -> None:
    step = due(Rotation(), T0, CYCLE, at_least=24)
    assert len(step.slices) == 24 and step.after.cursor == 24


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=24 * 40), min_size=1, max_size=400))
def test_whatever_the_gaps_every_slice_is_read_within_a_cycle_of_its_last_read(gaps: list[int]) -> None:
    """However irregular the runs, no slice waits longer than a cycle plus the gap that ended it."""
    rotation = Rotation()
    now = T0
    last_read: dict[int, datetime] = {}
    gap = timedelta(0)  # the time since the run before this one
    for hours in gaps:
        step = due(rotation, now, CYCLE)
        for s in step.slices:
            previous = last_read.get(s)
            if previous is not None:
                assert now - previous <= CYCLE + gap
            last_read[s] = now
        rotation = step.after
        gap = timedelta(hours=hours)
        now += gap


def test_runs_every_90_minutes_still_finish_a_pass_within_the_cycle() -> None:
    """Each run owes 1.5 slices: the half left over is carried, not lost."""
    rotation, now = due(Rotation(), T0, CYCLE).after, T0
    while rotation.covered_since is None:
        now += timedelta(minutes=90)
        rotation = due(rotation, now, CYCLE).after
    assert now - T0 <= CYCLE


def test_sample_wants_what_the_run_wrote_and_its_slices() -> None:
    key = "docs/plans"
    sample = Sample(slices=frozenset({slice_of(key)}), written=frozenset({"new.txt"}))
    assert sample.wants("new.txt") and sample.wants_key(key) and sample.wants("x.txt", key=key)
    assert not Sample().wants("anything") and Sample(full=True).wants("anything")


def test_coverage_in_words() -> None:
    assert describe_coverage(Rotation(), T0) == "nothing read back yet"
    covered = Rotation(0, T0, T0, T0 - timedelta(days=11), 102_311)
    assert describe_coverage(covered, T0) == "all 102,311 files read back within the last 12 days"


def _pair(tmp_path: Path, data: bytes) -> tuple[Path, Path]:
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(data)
    b.write_bytes(data)
    return a, b


def test_a_flipped_bit_with_the_time_put_back_is_found(tmp_path: Path) -> None:
    a, b = _pair(tmp_path, os.urandom(3 << 20))
    st_b = b.stat()
    damaged = bytearray(b.read_bytes())
    damaged[2_500_000] ^= 0x01
    b.write_bytes(bytes(damaged))
    os.utime(b, ns=(st_b.st_atime_ns, st_b.st_mtime_ns))
    assert compare_files(str(a), str(a)).outcome == SAME
    found = compare_files(str(a), str(b))
    assert found.outcome == DIFFERS and "2,500,000" in found.detail


def test_truncated_missing_and_power_cut_copies_are_found(tmp_path: Path) -> None:
    a, b = _pair(tmp_path, os.urandom(100_000))
    b.write_bytes(a.read_bytes()[:40_000])
    assert compare_files(str(a), str(b)).outcome == DIFFERS
    zeros = tmp_path / "renamed-without-data.bin"  # what a power cut leaves when data was not flushed
    zeros.write_bytes(bytes(100_000))
    assert compare_files(str(a), str(zeros)).outcome == DIFFERS
    assert compare_files(str(a), str(tmp_path / "nothing")).outcome == MISSING
    assert compare_files(str(tmp_path / "gone"), str(b)).outcome == CHANGED


def test_an_unreadable_copy_is_reported(tmp_path: Path) -> None:
    a, _b = _pair(tmp_path, b"x" * 10)
    folder = tmp_path / "folder"
    folder.mkdir()
    assert compare_files(str(a), str(folder)).outcome == UNREADABLE


def test_a_source_that_grows_while_read_is_not_called_damaged(tmp_path: Path) -> None:
    a, b = _pair(tmp_path, os.urandom(3 << 20))

    class GrowsOnce(threading.Event):
        """Checked before every block: the first check appends to the source, as a user's save would."""

        grown = False

        def is_set(self) -> bool:
            if not self.grown:
                self.grown = True
                with open(a, "ab") as handle:
                    handle.write(b"more")
            return False

    found = compare_files(str(a), str(b), GrowsOnce())
    assert found.outcome == CHANGED and "changed while it was read" in found.detail
