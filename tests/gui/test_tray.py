"""Living in the tray (or without one), a second start raising the first window, and alerts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QSystemTrayIcon

from engine.core.folders import Folders
from engine.core.profile_store import save_profile
from engine.core.profiles import MirrorProfile
from engine.core.state import StateDB
from gui import single_instance, tray
from gui.main_window import MainWindow
from tests.gui.conftest import Button, Dialogs


def scheduled_profile(folders: Folders, tmp_path: Path, name: str = "Nightly") -> None:
    spec = MirrorProfile.model_validate(
        {
            "kind": "mirror",
            "schedule": {"every": "4h"},
            "mirror": {"source": str(tmp_path / "src"), "replica": str(tmp_path / "rep")},
        }
    )
    save_profile(folders, name, spec)


def add_run(folders: Folders, name: str, started: datetime, status: str, reason: str = "") -> None:
    db = StateDB(folders.state_db)
    try:
        with db.transaction() as conn:
            conn.execute(
                "INSERT INTO runs (profile, kind, started, finished, status, reason, trigger)"
                " VALUES (?, 'mirror', ?, ?, ?, ?, 'schedule')",
                (name, started.isoformat(), started.isoformat(), status, reason or None),
            )
    finally:
        db.close()


def with_tray(monkeypatch: pytest.MonkeyPatch, present: bool) -> None:
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: present))


def test_with_a_tray_closing_hides_the_window_and_quit_ends_the_app(
    qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    scheduled_profile(window.folders, tmp_path)
    window.refresh_profiles()
    with_tray(monkeypatch, True)
    icon = tray.install(window)
    assert icon is not None and window.keep_in_tray
    texts = [action.text() for action in icon.menu.actions()]
    assert "&Open window" in texts and "&Quit" in texts and "&Pause all" in texts
    icon._fill_run_menu()
    (entry,) = icon.run_menu.actions()
    assert entry.text().startswith("Nightly  (")
    run_now, show = entry.menu().actions()
    assert run_now.text() == "&Run now" and run_now.isEnabled()
    window.hide()
    show.trigger()
    assert window.isVisible() and window.shown_name == "Nightly"
    window.close()
    assert not window.isVisible() and icon.hinted  # still in the tray, told once where it went
    icon.open_action.trigger()
    assert window.isVisible()
    window.list_model.set_activity("Nightly", "running 43 %")
    assert icon.state == "running" and "Nightly: running 43 %" in icon.icon.toolTip()
    with qtbot.waitSignal(window.closed_for_good):
        window.quit_action.trigger()


def test_the_tray_warns_after_a_failure(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    scheduled_profile(window.folders, tmp_path)
    add_run(window.folders, "Nightly", datetime.now(UTC), "failed", "replica is not reachable")
    with_tray(monkeypatch, True)
    icon = tray.install(window)
    told: list[str] = []
    window.alerts.notifier = lambda title, text: told.append(text)
    window.refresh_profiles()
    assert icon is not None and icon.state == "warning"
    assert told == ["The last run of 'Nightly' failed: replica is not reachable"]
    add_run(window.folders, "Nightly", datetime.now(UTC), "refused", "source is empty")
    window.refresh_profiles()
    window.refresh_profiles(select="Nightly")  # the banner speaks of the profile shown
    assert told[1:] == ["The last run of 'Nightly' was refused: source is empty"]
    assert window.banner.isVisible() and "refused" in window.banner.label.text()


def test_without_a_tray_the_app_says_so_once_and_closing_asks(
    window: MainWindow, dialogs: Dialogs, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    scheduled_profile(window.folders, tmp_path)
    window.app_settings.paused = True  # the scheduler ticks but starts nothing in this test
    with_tray(monkeypatch, False)
    assert tray.install(window) is None and not window.keep_in_tray
    notice = window.notice_bar  # the app's notice, apart from any profile's alerts
    assert notice.isVisible() and "no system tray" in notice.label.text()
    assert not window.banner.isVisible() and "no system tray" not in window.banner.label.text()
    assert window.app_settings.tray_notice_shown
    window.show_notice("")
    assert tray.install(window) is None and not notice.isVisible()  # once, not every start
    window.scheduler.start()
    window.app_settings.paused = False
    dialogs.answers = [Button.No]
    window.close()
    assert window.isVisible() and dialogs.asked[-1].startswith("Quit Rearguard?")
    window.app_settings.paused = True
    window.scheduler.stop()


def test_a_second_start_raises_the_first_window(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    name = f"rearguard-test-{uuid.uuid4().hex[:8]}"
    server = single_instance.InstanceServer(name)
    assert server.listen()
    server.show_requested.connect(window.show_window)
    window.hide()
    with qtbot.waitSignal(server.show_requested, timeout=3000):
        assert single_instance.ask_first_to_show(name)
    assert window.isVisible()
    server.close()
    assert not single_instance.ask_first_to_show(name, timeout_ms=200)


def test_claim_lets_only_the_first_instance_listen(qtbot, folders: Folders) -> None:  # type: ignore[no-untyped-def]
    first = single_instance.claim(folders)
    assert first is not None
    with qtbot.waitSignal(first.show_requested, timeout=3000):
        assert single_instance.claim(folders) is None
    first.close()


def test_no_good_run_for_n_days_alerts_once_and_the_limit_is_per_profile(
    window: MainWindow, tmp_path: Path
) -> None:
    scheduled_profile(window.folders, tmp_path)
    add_run(window.folders, "Nightly", datetime.now(UTC) - timedelta(days=4), "ok")
    told: list[str] = []
    window.alerts.notifier = lambda title, text: told.append(title)
    window.refresh_profiles(select="Nightly")
    assert told == ["No good backup: Nightly"] and "no good run for 4 days" in window.banner.label.text()
    assert "overdue" in window.header.age.text()
    window.header.alert_spin.setValue(7)  # this profile may go a week
    assert window.app_settings.alert_after_days("Nightly") == 7
    assert not window.banner.isVisible() and "overdue" not in window.header.age.text()
    window.refresh_profiles()
    assert told == ["No good backup: Nightly"]


def test_start_at_login_is_a_checkable_menu_item(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.schedule import autostart

    state = {"on": False}
    monkeypatch.setattr(autostart, "enable", lambda: state.update(on=True) or "~/.config/autostart")
    monkeypatch.setattr(autostart, "disable", lambda: state.update(on=False))
    monkeypatch.setattr(autostart, "is_enabled", lambda: state["on"])
    window.autostart_action.trigger()
    assert state["on"] and window.autostart_action.isChecked()
    window.autostart_action.trigger()
    assert not state["on"] and not window.autostart_action.isChecked()


def test_pause_all_shows_in_the_list_header_and_status_bar(window: MainWindow, tmp_path: Path) -> None:
    scheduled_profile(window.folders, tmp_path)
    window.refresh_profiles(select="Nightly")
    window.pause_action.trigger()
    assert window.scheduler.paused and window.pause_action.isChecked()
    assert window.header.next.text().startswith("Next run: paused")
    assert window.list_model.rows[0].line(window.list_model.now).endswith("· paused")
    assert "schedules paused" in window.summary.text()
