"""The read-back after a run reads only the index rows its sample wants, and the same rows as a full load."""

from __future__ import annotations

from pathlib import Path

from engine.core.readback import Sample
from engine.core.state import StateDB
from engine.jobs.rclone import index
from tests.engine.rclone.conftest import Rig, write_files


def _state(tmp_path: Path, paths: list[str]) -> StateDB:
    state = StateDB(tmp_path / "state.db")
    changes = index.Changes(uploaded=[(p, len(p), 1_000 + n) for n, p in enumerate(paths)])
    index.record(state, "p", changes, "2026-01-01T00:00:00+00:00")
    index.record(state, "other", index.Changes(uploaded=[("x/only-other.txt", 1, 1)]), "2026-01-01")
    return state


def test_the_partial_reads_match_a_full_load(tmp_path: Path) -> None:
    paths = [f"dir{n % 7}/Zürich {n}.txt" for n in range(1_300)] + ["a.txt", "b/c.txt"]
    state = _state(tmp_path, paths)
    try:
        full = index.load_index(state, "p")
        assert index.count_index(state, "p") == len(full) == len(paths)
        written = [*paths[::3], "not/in/the/index.txt", "x/only-other.txt"]  # more than one query chunk
        assert index.load_rows(state, "p", written) == {p: full[p] for p in paths[::3]}
        sample = Sample(slices=frozenset({3, 100, 719}), written=frozenset({"a.txt"}))
        wanted = index.load_wanted(state, "p", sample.wants)
        expected = sorted(p for p in full if sample.wants(p))
        assert list(wanted) == expected and "a.txt" in wanted and len(expected) > 1
        assert wanted == {p: full[p] for p in expected}
    finally:
        state.close()


def test_verify_copied_reads_back_only_what_the_run_uploaded(local_rig: Rig) -> None:
    write_files(local_rig.source, {f"f{n}.txt": str(n) for n in range(20)})
    assert local_rig.run(verify="copied").exit_code == 0
    write_files(local_rig.source, {"f3.txt": "three"}, mtime=1_800_000_000)
    outcome = local_rig.run(verify="copied")
    assert outcome.exit_code == 0 and outcome.report is not None
    assert (outcome.report.readback or "").startswith("read back 1 file(s): no difference(s)")
    (local_rig.target.root / "f5.txt").write_text("damaged")  # not written by the next run: not read
    write_files(local_rig.source, {"f7.txt": "seven"}, mtime=1_800_000_000)
    outcome = local_rig.run(verify="copied")
    assert outcome.exit_code == 0 and outcome.report is not None
    assert (outcome.report.readback or "").startswith("read back 1 file(s): no difference(s)")
