"""Issue 18.7: a Revit preview lists every model of the table flat (no folder called ".."), sortable,
with last edit, in window, status and the reason on screen without a click."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from engine.core.folders import Folders
from gui.main_window import MainWindow
from gui.model_list import IN_WINDOW, LAST_EDIT, MODEL, REASON, STATUS
from tests.gui.clicks import click_action
from tests.gui.revit_world import STORY_ROWS, revit_profile


@pytest.mark.parametrize("width", [870, 800])
def test_the_revit_preview_is_a_flat_sortable_list_with_reasons(
    qtbot, window: MainWindow, folders: Folders, tmp_path: Path, width: int
) -> None:  # type: ignore[no-untyped-def]
    window.resize(width, 620)
    server = revit_profile(folders, tmp_path)
    window.refresh_profiles(select="Nightly Revit")
    click_action(qtbot, window, window.preview_action)
    session = window.sessions["Nightly Revit"]
    qtbot.waitUntil(lambda: not session.running, timeout=20000)
    models = window.progress.models
    assert models.isVisible() and not window.progress.tree.isVisible()
    rows = models.shown_rows()
    assert len(rows) == len(STORY_ROWS)  # one row per table row: no folders, no ".."
    assert sorted(r[MODEL] for r in rows) == sorted(m.path for m in STORY_ROWS)
    by_path = {r[MODEL]: r for r in rows}
    evil = by_path[r"..\..\Windows\evil.rvt"]
    assert evil[STATUS] == "refused" and "contains '..'" in evil[REASON]
    old = by_path[r"Office\Archive\Old_2019.rvt"]
    assert old[STATUS] == "skipped" and old[IN_WINDOW] == "no" and "outside the 24h window" in old[REASON]
    arch = by_path[r"Office\Tower A\Tower_A_ARCH.rvt"]
    assert arch[STATUS] == "will export" and arch[IN_WINDOW] == "yes" and arch[LAST_EDIT] != "unknown"
    assert server.calls() == []  # a preview runs nothing

    # The reasons are on screen: the Reason column inside the view, no sideways scroll bar.
    header = models.horizontalHeader()
    assert not models.horizontalScrollBar().isVisible()
    assert (
        header.sectionViewportPosition(REASON) + header.sectionSize(REASON) <= models.viewport().width() + 1
    )
    assert header.sectionSize(REASON) >= 100

    # Sorting by a heading, as a user clicks it: by last edit, newest last.
    pos = QPoint(header.sectionViewportPosition(LAST_EDIT) + 10, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    edited = [r[MODEL] for r in models.shown_rows()]
    assert edited[-1] in (r"Office\Tower A\Tower_A_ARCH.rvt", r"Office\Tower A\Tower_A_MEP.rvt")
    assert edited[:2] == ["..\\..\\Windows\\evil.rvt", r"Office\Archive\Older.rvt"]  # unknown, then oldest
