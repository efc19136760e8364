"""The source scan on several cores finds exactly what the single-process scan finds."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from engine.core.errors import Cancelled
from engine.files import forked
from engine.jobs.rclone import parallel_scan
from engine.jobs.rclone import scan as scan_module
from engine.jobs.rclone.parallel_scan import scanning
from engine.jobs.rclone.planner import compare
from engine.jobs.rclone.scan import Scan, scan_rules, scan_tree

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the forked scan is Linux only")

_OPTIONS: dict[str, object] = {"include_hidden": False, "exclude": ["*.tmp", "skipme/"]}


def _tree(root: Path, folders: int = 120) -> Path:
    for i in range(folders):
        folder = root / f"d{i % 12}" / f"s{i}"
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


def scan_source(
    root: str, *, include_hidden: bool, exclude: Sequence[str] = (), never: Iterable[str] = ()
) -> Scan:
    """The whole scan in this process: what the forked scan must equal."""
    return scan_tree(root, scan_rules(include_hidden, exclude, never), None)


def _forked(root: Path, **options: object) -> Scan:
    with scanning(str(root), **options, workers=2) as scanned:  # type: ignore[arg-type]
        return scanned()


def _same(one: Scan, other: Scan) -> None:
    assert one.files == other.files
    assert one.left_out == other.left_out
    assert one.failed == other.failed
    assert sorted(one.unreadable) == sorted(other.unreadable)


@pytest.fixture(autouse=True)
def _fork_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Other tests in this process (Qt) may have started threads; these scans are fork-safe.
    monkeypatch.setattr(parallel_scan, "fork_is_safe", lambda: True)


def test_forked_scan_equals_single_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path / "src")
    never = [str(root / "d2" / "own.db")]
    shares: list[int] = []

    def spread(pending: list[tuple[str, str]], workers: int) -> list[list[tuple[str, str]]]:
        shares.append(len(pending))
        return forked.spread(pending, workers)

    monkeypatch.setattr(parallel_scan, "spread", spread)
    single = scan_source(str(root), include_hidden=False, exclude=["*.tmp", "skipme/"], never=never)
    fast = _forked(root, **_OPTIONS, never=never)
    assert shares and shares[0] >= forked.MIN_SUBTREES  # the workers did walk part of the tree
    _same(single, fast)
    assert len(fast.files) == 120 * 4 + 1 and "d2/own.db" not in fast.files
    assert set(fast.left_out) == {"d5/line\nbreak.txt", "d7/link"}  # .rearguard: hidden
    assert fast.rules is not None and fast.rules.excluded("a.tmp", "a.tmp", False)


def test_the_plan_from_a_forked_scan_is_the_plan_from_one_scan(tmp_path: Path) -> None:
    root = _tree(tmp_path / "src")
    single = scan_source(str(root), include_hidden=True)
    index = dict(single.files)
    del index["top.txt"]  # new
    index["d1/s1/f0.txt"] = (0, 0)  # changed
    index["d9/s9/f3.txt"] = (index["d9/s9/f3.txt"][0], 1)  # only the time differs
    index["gone.txt"] = (1, 1)  # deleted from the source
    plan, expected = compare(_forked(root, include_hidden=True), index, {}), compare(single, index, {})
    assert plan == expected
    assert [a.path for a in plan.actions] == ["d1/s1/f0.txt", "d9/s9/f3.txt", "top.txt", "gone.txt"]


def _killed(folders: list[tuple[str, str]]) -> object:  # module level: workers get it by name
    os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
    return folders


def test_a_worker_that_dies_leaves_the_scan_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    root = _tree(tmp_path / "src")
    monkeypatch.setattr(parallel_scan, "_scan_share", _killed)
    fast = _forked(root, include_hidden=True)  # before WorkerLost, this waited forever
    _same(scan_source(str(root), include_hidden=True), fast)
    assert "scanned again in one process" in caplog.text


def test_folders_that_cannot_be_read_are_reported_as_one_scan_reports_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path / "src")
    locked = {str(root / "d6" / "s42"), str(root / "d10" / "s118")}
    real_open = scan_module.open_folder

    def open_folder(folder: str) -> int | None:  # as for a folder without read permission
        if folder in locked:
            raise PermissionError(13, "Permission denied")
        return real_open(folder)

    monkeypatch.setattr(scan_module, "open_folder", open_folder)  # the forked workers inherit it
    single = scan_source(str(root), include_hidden=True)
    fast = _forked(root, include_hidden=True)
    _same(single, fast)
    assert sorted(fast.unreadable) == ["d10/s118", "d6/s42"]
    assert fast.failed["d6/s42"] == "folder cannot be read: Permission denied"


def test_small_tree_is_scanned_in_this_process(tmp_path: Path) -> None:
    root = _tree(tmp_path / "src", folders=12)  # fewer folders than the top walk takes
    before = threading.active_count()
    with scanning(str(root), include_hidden=True, workers=2) as scanned:
        assert threading.active_count() == before  # no pool: nothing forked
        scan = scanned()
    _same(scan, scan_source(str(root), include_hidden=True))


def test_a_time_beyond_64_bits_crosses_from_a_worker(tmp_path: Path) -> None:
    root = _tree(tmp_path / "src")
    far = root / "d4" / "s4" / "f1.txt"
    try:
        os.utime(far, ns=(0, 2**63 + 10**9))
    except (OverflowError, OSError):
        pytest.skip("this file system cannot store such a time")
    fast = _forked(root, include_hidden=True)
    assert fast.files["d4/s4/f1.txt"][1] == 2**63 + 10**9
    _same(scan_source(str(root), include_hidden=True), fast)


def test_cancel_while_the_workers_walk_stops_the_scan(tmp_path: Path) -> None:
    root = _tree(tmp_path / "src")
    cancel = threading.Event()
    started = scanning(str(root), include_hidden=True, cancel=cancel, workers=2)
    with pytest.raises(Cancelled), started as scanned:
        cancel.set()
        scanned()


def test_an_error_in_the_block_stops_the_workers(tmp_path: Path) -> None:
    root = _tree(tmp_path / "src")
    with pytest.raises(RuntimeError, match="boom"), scanning(str(root), include_hidden=True, workers=2):
        raise RuntimeError("boom")
    assert parallel_scan._rules is None
