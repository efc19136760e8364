"""Issue 18.2 and 18.3 as a user sees them: a failed Revit run's counts add up on screen, and every
reason can be read at the window's first-start width and at 800 px, without a sideways scroll."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from engine.core.folders import Folders
from gui.main_window import MainWindow
from tests.gui.clicks import click_action, click_tab
from tests.gui.revit_world import revit_profile


@pytest.fixture(autouse=True)
def _oem_codepage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REARGUARD_CONSOLE_CODEPAGE", "850")  # the fake tool writes cp850


def _run_failed_revit(qtbot, window: MainWindow, folders: Folders, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    revit_profile(folders, tmp_path)
    window.refresh_profiles(select="Nightly Revit")
    click_action(qtbot, window, window.run_action)
    session = window.sessions.get("Nightly Revit")
    assert session is not None
    qtbot.waitUntil(lambda: not session.running, timeout=30000)


@pytest.mark.parametrize("width", [870, 800])
def test_a_failed_revit_run_reads_whole_at_small_widths(
    qtbot, window: MainWindow, folders: Folders, tmp_path: Path, width: int
) -> None:  # type: ignore[no-untyped-def]
    window.resize(width, 620)
    _run_failed_revit(qtbot, window, folders, tmp_path)
    report = window.progress.report
    assert window.width() <= width + 1

    # The counts are a sum a person can check, with planned apart and explained.
    shown = {key: report.counts[key].text() for key in ("looked_at", "done", "skipped", "failed")}
    assert shown == {"looked_at": "7", "done": "3", "skipped": "2", "failed": "2"}
    assert "Planned: 4 to export" in report.planned_note.text()
    assert "1 refused" in report.planned_note.text()

    # Every failure's reason is on screen: no sideways scroll bar, the Reason column inside the view.
    table = report.table
    qtbot.waitUntil(lambda: table.isVisible())
    assert not table.horizontalScrollBar().isVisible()
    header = table.horizontalHeader()
    assert header.sectionViewportPosition(3) + header.sectionSize(3) <= table.viewport().width() + 1
    assert header.sectionSize(3) >= 120
    reasons = [table.model().index(r, 3).data() for r in range(table.model().rowCount())]
    assert any("Le serveur est occupé (server busy)" in r for r in reasons)
    assert any("contains '..'" in r for r in reasons)

    # The first failure is in the detail pane in full, without a click; a click shows another.
    assert "Réessayez plus tard" in report.failure_list.detail_text()
    second = table.visualRect(table.model().index(1, 3)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(second))
    assert "unsafe path" in report.failure_list.detail_text()
    assert "evil.rvt" in report.failure_list.detail_text()


def test_history_says_why_a_run_failed(qtbot, window: MainWindow, folders: Folders, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _run_failed_revit(qtbot, window, folders, tmp_path)
    click_tab(qtbot, window.tabs, "History")
    assert window.tabs.currentWidget() is window.history
    model = window.history.model
    reason = model.index(0, model.columnCount() - 1).data()
    assert "Tower_A_MEP.rvt" in reason and "server busy" in reason
    window.resize(800, 600)
    table = window.history.table
    header = table.horizontalHeader()
    column = model.columnCount() - 1
    qtbot.waitUntil(lambda: table.isVisible())
    start = header.sectionViewportPosition(column)
    assert start >= 0 and start + header.sectionSize(column) <= table.viewport().width()  # on screen
    assert "server busy" in model.index(0, column).data(Qt.ItemDataRole.ToolTipRole)
