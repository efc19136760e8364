"""Issue 18.9: a profile's alerts show over that profile only; the app's own notice (no tray) is apart
and can be dismissed; a status message never runs into the counters on its right."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from gui import tray
from gui.main_window import MainWindow
from tests.gui.test_tray import add_run, scheduled_profile, with_tray


def _click_row(qtbot, window: MainWindow, name: str) -> None:  # type: ignore[no-untyped-def]
    index = window.list_model.index(window.list_model.row_for(name))
    rect = window.list.visualRect(index)
    qtbot.mouseClick(window.list.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.center()))
    assert window.shown_name == name


def test_alerts_belong_to_their_profile_and_the_app_notice_is_apart(
    qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    scheduled_profile(window.folders, tmp_path / "a", "Offsite")
    scheduled_profile(window.folders, tmp_path / "b", "Projects")
    add_run(window.folders, "Offsite", datetime.now(UTC), "failed", "the remote is not reachable")
    add_run(window.folders, "Projects", datetime.now(UTC), "ok")
    window.app_settings.tray_notice_shown = False
    with_tray(monkeypatch, False)
    tray.install(window)  # first start without a tray: a notice for the app, not for a profile
    window.refresh_profiles()

    _click_row(qtbot, window, "Projects")
    assert not window.banner.isVisible()  # nothing about Offsite over Projects
    notice = window.notice_bar
    assert notice.isVisible() and "no system tray" in notice.label.text()
    assert "Offsite" not in notice.label.text()

    _click_row(qtbot, window, "Offsite")
    assert window.banner.isVisible()
    assert "The last run of 'Offsite' failed: the remote is not reachable" in window.banner.label.text()
    assert "no system tray" not in window.banner.label.text()

    qtbot.mouseClick(notice.close_button, Qt.MouseButton.LeftButton)  # the notice goes; the alert stays
    assert not notice.isVisible() and window.banner.isVisible()
    qtbot.mouseClick(window.banner.close_button, Qt.MouseButton.LeftButton)
    assert not window.banner.isVisible()
    _click_row(qtbot, window, "Projects")
    _click_row(qtbot, window, "Offsite")
    assert not window.banner.isVisible()  # dismissed stays dismissed until something new happens


@pytest.mark.parametrize("width", [870, 800])
def test_a_long_status_message_stops_before_the_counters(
    qtbot, window: MainWindow, tmp_path: Path, width: int
) -> None:  # type: ignore[no-untyped-def]
    scheduled_profile(window.folders, tmp_path, "Nightly")
    add_run(window.folders, "Nightly", datetime.now(UTC), "failed", "x")
    window.resize(width, 600)
    window.refresh_profiles(select="Nightly")
    long = (
        "Nightly Revit: failed — 3 done, 2 skipped, 2 failed (1 refused) of 7 looked at; 4 planned, 82.9 KB "
        * 2
    )
    window.statusBar().showMessage(long, 5000)
    bar = window.statusBar()
    shown = bar.currentMessage()
    assert shown != long and shown.endswith("…") and bar.toolTip() == long
    width_used = bar.fontMetrics().horizontalAdvance(shown)
    assert width_used + window.summary.width() < bar.width()  # room between the message and the counters
