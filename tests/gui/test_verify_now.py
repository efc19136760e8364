"""Verify now: the window reads a backup back, shows what differs, and keeps it in the history."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt

from engine.core.profiles import Profile
from gui.main_window import MainWindow


def _rot(path: Path) -> None:
    """Flip one byte and put the time back: what a failing disk does, unseen by size and time."""
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_verify_now_finds_a_rotted_file_and_history_says_verify(
    qtbot, window: MainWindow, mirror_profile: Callable[..., Profile], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    source, replica = tmp_path / "src", tmp_path / "rep"
    (source / "docs").mkdir(parents=True)
    for n in range(12):
        (source / "docs" / f"f{n}.bin").write_bytes(os.urandom(3000))
    mirror_profile("Docs", source, replica)
    window.refresh_profiles(select="Docs")
    window.run_action.trigger()
    run = window.sessions["Docs"]
    qtbot.waitUntil(lambda: not run.running, timeout=20000)
    assert run.result is not None and run.result.status == "ok"
    assert "read back 12 file(s): no difference(s)" in window.progress.numbers.text()

    _rot(replica / "docs" / "f5.bin")
    assert window.verify_action.isEnabled()
    window.verify_action.trigger()
    verify = window.sessions["Docs"]
    assert verify.verify
    qtbot.waitUntil(lambda: not verify.running, timeout=20000)
    assert verify.result is not None and verify.result.status == "failed"
    assert window.progress.title.text() == "Verify of Docs — failed"
    report = verify.result.outcome.report  # type: ignore[union-attr]
    assert report.run_kind == "verify"
    assert [(i.path, i.status) for i in report.failures] == [("docs/f5.bin", "failed")]
    assert "content differs" in report.failures[0].message

    history = window.history.model
    window.history.show_profile("Docs")
    kinds = [
        history.data(history.index(r, 3), Qt.ItemDataRole.DisplayRole) for r in range(history.rowCount())
    ]
    assert kinds == ["verify", "backup"]
    reason = history.data(history.index(0, 9), Qt.ItemDataRole.DisplayRole)
    assert reason.startswith("docs/f5.bin: ") and "content differs" in reason
    row = window.list_model.rows[window.list_model.row_for("Docs")]
    assert row.mark == "failed" and "verify failed" in row.line(window.list_model.now)
    assert "read back" in window.header.last_good.text()
    window.grab().save(os.environ.get("REARGUARD_SHOT", str(tmp_path / "verify.png")))


def test_repair_copies_the_damaged_file_again_and_keeps_it_as_a_version(
    qtbot, window: MainWindow, mirror_profile: Callable[..., Profile], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    source, replica = tmp_path / "src", tmp_path / "rep"
    source.mkdir()
    (source / "plan.dwg").write_bytes(os.urandom(5000))
    mirror_profile("Plans", source, replica)
    window.refresh_profiles(select="Plans")
    window.run_action.trigger()
    qtbot.waitUntil(lambda: not window.sessions["Plans"].running, timeout=20000)
    _rot(replica / "plan.dwg")
    window.verify_action.trigger()
    qtbot.waitUntil(lambda: not window.sessions["Plans"].running, timeout=20000)
    report_view = window.progress.report
    assert report_view.headline.text() == "Differences found"
    assert report_view.retry_button.text() == "Repair" and report_view.retry_button.isVisible()
    report_view.retry_button.click()
    repair = window.sessions["Plans"]
    assert repair.verify
    qtbot.waitUntil(lambda: not repair.running, timeout=20000)
    assert repair.result is not None and repair.result.status == "ok"
    assert (replica / "plan.dwg").read_bytes() == (source / "plan.dwg").read_bytes()
    (kept,) = (replica / ".rearguard" / "versions").rglob("plan.dwg")
    assert kept.read_bytes() != (source / "plan.dwg").read_bytes()  # the damaged copy, kept
    (item,) = repair.result.outcome.report.items  # type: ignore[union-attr]
    assert item.action == "repair" and "copied again" in item.message
