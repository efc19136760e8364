"""The source scan on several cores finds exactly what the single-process scan finds."""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

import pytest

from engine.core.errors import Cancelled
from engine.core.state import StateDB
from engine.files import forked
from engine.jobs.rclone import index, parallel_scan
from engine.jobs.rclone import scan as scan_module
from engine.jobs.rclone.diff import Diff, diff_rows
from engine.jobs.rclone.index import IndexRows
from engine.jobs.rclone.parallel_scan import gaps, scanning, subtree_range
from engine.jobs.rclone.planner import compare
from engine.jobs.rclone.scan import Scan, scan_rules, scan_tree

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the forked scan is Linux only")

_OPTIONS: dict[str, object] = {"include_hidden": False, "exclude": ["*.tmp", "skipme/"]}


def _tree(root: Path, folders: int = 120) -> Path:
    for i in range(folders):
        # Some subtrees have names beyond ASCII: the index's path ranges must order them as Python does.
        folder = root / f"d{i % 12}" / (f"s{i} Zürich 😀" if i % 7 == 3 else f"s{i}")
        folder.mkdir(parents=True)
        for j in range(4):
            (folder / f"f{j}.txt").write_text(f"{i}-{j}" * (j + 1))
        (folder / "x.tmp").write_text("excluded")
    (root / "top.txt").write_text("top")
    (root / ".hidden").write_text("hidden")
    (root / "d3" / "skipme").mkdir()
    (root / "d3" / "skipme" / "in.txt").write_text("excluded folder")
    (root / "d5" / "line\nbreak.txt").write_text("unsendable name")
    (root / "d7" / "link").symlink_to(root / "top.txt")
    (root / ".rearguard").mkdir()
    (root / "d2" / "own.db").write_text("Rearguard's own state")
    return root


Result = tuple[Scan, Diff]
RETRIES = ("d8/s8/f2.txt", "d11/s23/f0.txt", "gone/retry.txt")


def _indexed(files: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """An index for the scanned ``files`` as a later run meets it: something of every kind differs."""
    indexed = dict(files)
    del indexed["top.txt"]  # new at the top
    del indexed["d4/s40/f1.txt"]  # new in a subtree
    indexed["d1/s1/f0.txt"] = (0, 0)  # changed
    indexed["d9/s9/f3.txt"] = (indexed["d9/s9/f3.txt"][0], 1)  # only the time differs
    indexed["gone.txt"] = (1, 1)  # deleted: at the top, in a subtree, a folder that is gone whole
    indexed["d6/s30/gone.txt"] = (2, 2)
    indexed["d0/vanished/deep/x.txt"] = (3, 3)
    indexed["d2/own.db"] = (4, 4)  # a file uploaded before it was Rearguard's own
    indexed["d5/line\nbreak.txt"] = (5, 5)  # left out now: kept
    indexed["d11/s23/f0.txt"] = files["d11/s23/f0.txt"]  # unchanged, but in the retry queue
    return indexed


@pytest.fixture
def state(tmp_path: Path) -> Iterable[StateDB]:
    db = StateDB(tmp_path / "state" / "state.db")
    yield db
    db.conn.close()


def _rows(state: StateDB, root: Path) -> IndexRows:
    """The index of a run before, in the state DB."""
    single = scan_tree(str(root), scan_rules(True), None)
    uploaded = [(path, size, mtime) for path, (size, mtime) in _indexed(single.files).items()]
    index.record(state, "p", index.Changes(uploaded=uploaded), "2026-11-30T10:00:00")
    return IndexRows.of(state, "p")


def _single(root: Path, rows: IndexRows, **options: object) -> Result:
    """The whole scan and diff in this process: what the forked scan must equal."""
    scan = scan_tree(str(root), scan_rules(**options), None)  # type: ignore[arg-type]
    return scan, diff_rows(scan.files, rows.between(), RETRIES)


def _forked(root: Path, rows: IndexRows, **options: object) -> Result:
    with scanning(str(root), rows, RETRIES, **options, workers=2) as scanned:  # type: ignore[arg-type]
        return scanned()


def _same(one: Result, other: Result) -> None:
    (scan, diff), (other_scan, other_diff) = one, other
    assert diff == other_diff
    assert scan.left_out == other_scan.left_out
    assert scan.failed == other_scan.failed
    assert sorted(scan.unreadable) == sorted(other_scan.unreadable)


@pytest.fixture(autouse=True)
def _fork_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Other tests in this process (Qt) may have started threads; these scans are fork-safe.
    monkeypatch.setattr(parallel_scan, "fork_is_safe", lambda: True)


def test_forked_scan_equals_single_scan(
    tmp_path: Path, state: StateDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path / "src")
    rows = _rows(state, root)
    never = [str(root / "d2" / "own.db")]
    shares: list[int] = []

    def spread(pending: list[tuple[str, str]], workers: int) -> list[list[tuple[str, str]]]:
        shares.append(len(pending))
        return forked.spread(pending, workers)

    monkeypatch.setattr(parallel_scan, "spread", spread)
    single = _single(root, rows, include_hidden=False, exclude=["*.tmp", "skipme/"], never=never)
    fast = _forked(root, rows, **_OPTIONS, never=never)
    assert shares and shares[0] >= forked.MIN_SUBTREES  # the workers did walk part of the tree
    _same(single, fast)
    scan, diff = fast
    assert diff.scanned == 120 * 4 + 1 and diff.indexed == sum(1 for _ in rows.between())
    assert "d2/own.db" in diff.gone and "d2/own.db" not in diff.differ
    assert set(scan.left_out) == {"d5/line\nbreak.txt", "d7/link"}  # .rearguard: hidden
    assert scan.rules is not None and scan.rules.excluded("a.tmp", "a.tmp", False)


def test_the_diff_finds_every_kind_of_difference_wherever_it_is(tmp_path: Path, state: StateDB) -> None:
    root = _tree(tmp_path / "src")
    scan, diff = _forked(root, _rows(state, root), include_hidden=True)
    new = {"top.txt", "d4/s40/f1.txt", "d2/own.db", "d5/line\nbreak.txt"} - set(scan.left_out)
    assert {path for path, (_, known) in diff.differ.items() if known is None} >= {"top.txt", "d4/s40/f1.txt"}
    retried = {"d8/s8/f2.txt", "d11/s23/f0.txt"}  # unchanged, in the retry queue; gone/retry.txt is not here
    assert set(diff.differ) == new | retried | {"d1/s1/f0.txt", "d9/s9/f3.txt"}
    assert all(diff.differ[path][0] == diff.differ[path][1] for path in retried)
    assert set(diff.gone) == {"gone.txt", "d6/s30/gone.txt", "d0/vanished/deep/x.txt", "d5/line\nbreak.txt"}
    assert diff.gone["d0/vanished/deep/x.txt"] == 3


def test_the_plan_from_a_forked_scan_is_the_plan_from_one_scan(tmp_path: Path, state: StateDB) -> None:
    root = _tree(tmp_path / "src")
    rows = _rows(state, root)
    retries = {path: index.RetryEntry(path, "e", 1, "t", "t") for path in RETRIES}
    plan = compare(*_forked(root, rows, include_hidden=True), retries)
    assert plan == compare(*_single(root, rows, include_hidden=True), retries)
    uploads = [a.path for a in plan.actions if a.kind.value == "upload"]
    deletes = [a.path for a in plan.actions if a.kind.value == "delete"]
    changed = ["d1/s1/f0.txt", "d9/s9/f3.txt", "d11/s23/f0.txt", "d8/s8/f2.txt"]
    assert uploads == sorted([*changed, "d2/own.db", "d4/s40/f1.txt", "top.txt"])
    assert [n.path for n in plan.notes if n.path == "gone/retry.txt"] == ["gone/retry.txt"]
    assert deletes == ["d0/vanished/deep/x.txt", "d6/s30/gone.txt", "gone.txt"]  # the left-out name is kept


def test_subtree_ranges_and_gaps_cover_every_path_once() -> None:
    pending = [("a/", "/s/a"), ("a b/", "/s/a b"), ("b/c/", "/s/b/c"), ("é/", "/s/é")]
    paths = ["a", "a/x", "a/b/c", "a b/x", "a-b/x", "a0", "b/c", "b/c/x", "b/cd/x", "b/x", "é/x", "éa/x", "z"]
    ranges = [subtree_range(rel) for rel, _ in pending] + gaps(pending)
    for path in paths:
        inside = [r for r in ranges if r[0] <= path and (r[1] is None or path < r[1])]
        assert len(inside) == 1, (path, inside)
    owner = {
        path: next(rel for rel, _ in pending if path.startswith(rel))
        for path in paths
        if "/" in path and any(path.startswith(rel) for rel, _ in pending)
    }
    for path, rel in owner.items():
        low, high = subtree_range(rel)
        assert low <= path < high
    assert subtree_range("a/") == ("a/", "a0")


def _killed(folders: list[tuple[str, str]]) -> object:  # module level: workers get it by name
    os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
    return folders


def test_a_worker_that_dies_leaves_the_scan_to_this_process(
    tmp_path: Path, state: StateDB, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    root = _tree(tmp_path / "src")
    rows = _rows(state, root)
    monkeypatch.setattr(parallel_scan, "_scan_share", _killed)
    fast = _forked(root, rows, include_hidden=True)  # before WorkerLost, this waited forever
    _same(_single(root, rows, include_hidden=True), fast)
    assert "scanned again in one process" in caplog.text


def test_a_worker_that_cannot_read_the_index_leaves_the_scan_to_this_process(
    tmp_path: Path, state: StateDB, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    root = _tree(tmp_path / "src")
    rows = _rows(state, root)

    def reopened(self: IndexRows) -> IndexRows:  # as for a state folder the worker may not open
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(IndexRows, "reopened", reopened)  # the forked workers inherit it
    fast = _forked(root, rows, include_hidden=True)
    _same(_single(root, rows, include_hidden=True), fast)
    assert "cannot read the index: unable to open database file" in caplog.text
    assert "scanned again in one process" in caplog.text


def test_folders_that_cannot_be_read_are_reported_as_one_scan_reports_them(
    tmp_path: Path, state: StateDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path / "src")
    rows = _rows(state, root)
    locked = {str(root / "d6" / "s42"), str(root / "d10" / "s118")}
    real_open = scan_module.open_folder

    def open_folder(folder: str) -> int | None:  # as for a folder without read permission
        if folder in locked:
            raise PermissionError(13, "Permission denied")
        return real_open(folder)

    monkeypatch.setattr(scan_module, "open_folder", open_folder)  # the forked workers inherit it
    single = _single(root, rows, include_hidden=True)
    fast = _forked(root, rows, include_hidden=True)
    _same(single, fast)
    scan, diff = fast
    assert sorted(scan.unreadable) == ["d10/s118", "d6/s42"]
    assert scan.failed["d6/s42"] == "folder cannot be read: Permission denied"
    assert {"d6/s42/f0.txt", "d10/s118/f3.txt"} <= set(diff.gone)  # the planner keeps them
    assert not [a for a in compare(scan, diff, {}).actions if a.path.startswith(("d6/s42/", "d10/s118/"))]


def test_small_tree_is_scanned_in_this_process(tmp_path: Path, state: StateDB) -> None:
    root = _tree(tmp_path / "src", folders=12)  # fewer folders than the top walk takes
    rows = IndexRows.of(state, "p")
    before = threading.active_count()
    with scanning(str(root), rows, include_hidden=True, workers=2) as scanned:
        assert threading.active_count() == before  # no pool: nothing forked
        result = scanned()
    _same(result, _single(root, rows, include_hidden=True))
    assert result[1].scanned == len(result[1].differ) == 12 * 5 + 4  # .hidden, top, skipme/in, own.db


def test_an_untrusted_index_reads_as_empty(tmp_path: Path, state: StateDB) -> None:
    root = _tree(tmp_path / "src")
    rows = _rows(state, root)
    _, diff = _forked(root, IndexRows.of(state, "p", trusted=False), include_hidden=True)
    assert diff.indexed == 0 and not diff.gone and diff.scanned == len(diff.differ) == 120 * 5 + 4
    assert all(known is None for _, known in diff.differ.values())
    assert sum(1 for _ in rows.between()) == len(_indexed(scan_tree(str(root), scan_rules(True), None).files))
    # still there: the run records afresh


def test_a_state_db_in_a_transaction_is_not_forked_with(tmp_path: Path, state: StateDB) -> None:
    root = _tree(tmp_path / "src")
    rows = _rows(state, root)
    with state.transaction():
        before = threading.active_count()
        with scanning(str(root), rows, RETRIES, include_hidden=True, workers=2) as scanned:
            assert threading.active_count() == before  # walked here: no workers copied the open write
            result = scanned()
    _same(result, _single(root, rows, include_hidden=True))


def test_a_time_beyond_64_bits_crosses_from_a_worker(tmp_path: Path, state: StateDB) -> None:
    root = _tree(tmp_path / "src")
    far = root / "d4" / "s4" / "f1.txt"
    try:
        os.utime(far, ns=(0, 2**63 + 10**9))
    except (OverflowError, OSError):
        pytest.skip("this file system cannot store such a time")
    rows = IndexRows.of(state, "p")
    scan, diff = _forked(root, rows, include_hidden=True)
    assert diff.differ["d4/s4/f1.txt"][0][1] == 2**63 + 10**9
    _same(_single(root, rows, include_hidden=True), (scan, diff))


def test_cancel_while_the_workers_walk_stops_the_scan(tmp_path: Path, state: StateDB) -> None:
    root = _tree(tmp_path / "src")
    cancel = threading.Event()
    started = scanning(str(root), IndexRows.of(state, "p"), include_hidden=True, cancel=cancel, workers=2)
    with pytest.raises(Cancelled), started as scanned:
        cancel.set()
        scanned()


def test_an_error_in_the_block_stops_the_workers(tmp_path: Path, state: StateDB) -> None:
    root = _tree(tmp_path / "src")
    rows = IndexRows.of(state, "p")
    with pytest.raises(RuntimeError, match="boom"), scanning(str(root), rows, include_hidden=True, workers=2):
        raise RuntimeError("boom")
    assert parallel_scan._shared is None


@pytest.mark.parametrize("workers", [2, 1])
def test_the_first_change_is_told_once_while_the_walk_goes_on(
    tmp_path: Path, state: StateDB, workers: int
) -> None:
    root = _tree(tmp_path / "src")
    rows = _rows(state, root)
    told: list[int] = []
    with scanning(
        str(root), rows, RETRIES, **_OPTIONS, workers=workers, on_change=lambda: told.append(1)
    ) as scanned:  # type: ignore[arg-type]
        _, diff = scanned()
    assert diff.differ and told == [1]


def test_a_scan_without_a_change_tells_nothing(tmp_path: Path, state: StateDB) -> None:
    root = _tree(tmp_path / "src")
    single = scan_tree(str(root), scan_rules(True), None)
    uploaded = [(path, size, mtime) for path, (size, mtime) in single.files.items()]
    index.record(state, "q", index.Changes(uploaded=uploaded), "2026-11-30T10:00:00")
    told: list[int] = []
    rows = IndexRows.of(state, "q")
    with scanning(
        str(root), rows, include_hidden=True, workers=2, on_change=lambda: told.append(1)
    ) as scanned:
        _, diff = scanned()
    assert not diff.differ and diff.indexed == len(uploaded) and told == []
