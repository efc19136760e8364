"""Office hours in the window: the scheduler keeps to a profile's window, the list and header say
"waits for", Run now outside the window asks once, Pause / Resume per run, in the tray and for all."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from engine.core.folders import Folders
from engine.core.profile_store import save_profile
from engine.core.profiles import MirrorProfile, Profile, read_profile
from gui import tray
from gui.main_window import MainWindow
from gui.profile_list import KIND_ROLE
from tests.gui.conftest import Button, Dialogs
from tests.gui.test_scheduler import T0, FakeHost, FakeTime, make
from tests.gui.test_tray import with_tray

MIB = 1 << 20


def _window_from(moment: datetime, start_in: timedelta, end_in: timedelta) -> str:
    local = moment.astimezone()
    return f"{(local + start_in):%H:%M}-{(local + end_in):%H:%M}"


def _scheduled(folders: Folders, tmp_path: Path, name: str, window: str) -> None:
    spec = MirrorProfile.model_validate(
        {
            "kind": "mirror",
            "schedule": {"every": "4h", "window": window},
            "mirror": {"source": str(tmp_path / "src"), "replica": str(tmp_path / f"rep-{name}")},
        }
    )
    save_profile(folders, name, spec)


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


def test_the_scheduler_starts_a_run_only_inside_its_window(
    qtbot, folders: Folders, time_: FakeTime, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    host = FakeHost(folders)
    _scheduled(folders, tmp_path, "p", _window_from(T0, timedelta(hours=2), timedelta(hours=4)))
    scheduler = make(host, time_)
    scheduler.tick()
    assert host.started == [] and scheduler.next_runs["p"] == T0 + timedelta(hours=2)
    time_.advance(timedelta(hours=1, minutes=59))
    scheduler.tick()
    assert host.started == []
    time_.advance(timedelta(minutes=1))
    scheduler.tick()
    assert host.started == ["p"]
    host.finish("p", time_.now)
    # Off for two days, woken outside the window: the catch-up waits for the window's start.
    time_.sleep(timedelta(days=2, hours=-1))
    time_.advance(timedelta(minutes=2))  # past the wake-up grace
    scheduler.tick()
    assert host.started == ["p"]
    opens = scheduler.next_runs["p"]
    assert opens is not None and opens > time_.now
    time_.advance(opens - time_.now)
    scheduler.tick()
    assert host.started == ["p", "p"]


def test_a_queued_run_whose_window_closed_meanwhile_waits(
    qtbot, folders: Folders, time_: FakeTime, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    host = FakeHost(folders)
    _scheduled(folders, tmp_path, "p", _window_from(T0, -timedelta(hours=1), timedelta(hours=1)))
    scheduler = make(host, time_)
    scheduler.set_paused(True)
    scheduler.queue.request("p")  # queued while the window was open
    time_.advance(timedelta(hours=2))  # the window has closed
    scheduler.set_paused(False)
    assert host.started == [] and "p" not in scheduler.queue.waiting


def test_list_and_header_show_the_window_and_what_waits_for_it(window: MainWindow, tmp_path: Path) -> None:
    now = datetime.now().astimezone()
    _scheduled(window.folders, tmp_path, "night", _window_from(now, timedelta(hours=2), timedelta(hours=3)))
    window.refresh_profiles()
    window.select("night")
    row = window.row("night")
    assert row is not None and row.waits_for is not None
    opens = f"{row.waits_for.astimezone():%H:%M}"
    assert opens == f"{now + timedelta(hours=2):%H:%M}"
    assert f"waits for {opens}" in row.line(now)
    model = window.list_model
    assert "window" in str(model.data(model.index(model.row_for("night")), KIND_ROLE))
    assert f"waits for {opens}" in window.header.next.text()
    assert "window" in window.header.subtitle.text()


def test_run_now_outside_the_window_asks_once(
    qtbot, window: MainWindow, dialogs: Dialogs, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a")
    now = datetime.now().astimezone()
    _scheduled(window.folders, tmp_path, "night", _window_from(now, timedelta(hours=2), timedelta(hours=3)))
    window.refresh_profiles()
    window.select("night")
    dialogs.answers = [Button.No]
    assert window.start_run("night") is None
    assert len(dialogs.asked) == 1 and "outside its window" in dialogs.asked[0]
    dialogs.answers = [Button.Yes]
    session = window.start_run("night")
    assert session is not None and session.worker.window_end is None  # by hand: the window does not apply
    qtbot.waitUntil(lambda: not session.running, timeout=20000)
    assert len(dialogs.asked) == 2
    assert (tmp_path / "rep-night" / "a.txt").read_text() == "a"


def _bytes_below(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.is_dir() else 0


def _steady(qtbot, root: Path, seconds: float = 1.0) -> list[int]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(int(seconds / 0.2)):
        samples.append(_bytes_below(root))
        qtbot.wait(200)
    return samples


def test_pause_and_resume_a_run_from_the_window_the_tray_and_pause_all(
    qtbot,
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    mirror_profile: Callable[..., Profile],
) -> None:  # type: ignore[no-untyped-def]
    source, replica = tmp_path / "src", tmp_path / "dst"
    source.mkdir()
    data = os.urandom(10 * MIB)
    (source / "big.bin").write_bytes(data)
    mirror_profile("slow", source, replica, bwlimit="4M")
    window.refresh_profiles()
    window.select("slow")
    session = window.start_run("slow")
    assert session is not None
    qtbot.waitUntil(lambda: _bytes_below(replica) >= MIB, timeout=20000)
    assert window.pause_run_action.isEnabled() and not window.pause_run_action.isChecked()
    window.pause_run_action.trigger()  # the toolbar's Pause, beside Cancel
    assert session.paused and window.pause_run_action.text() == "Res&ume run"
    qtbot.wait(300)
    samples = _steady(qtbot, replica)
    assert len(set(samples)) == 1, f"the replica grew while paused: {samples}"
    row = window.row("slow")
    assert row is not None and row.mark == "paused" and row.activity.startswith("paused")
    qtbot.waitUntil(lambda: "paused" in window.progress.title.text(), timeout=3000)
    assert "Paused" in window.progress.numbers.text()
    with_tray(monkeypatch, True)
    icon = tray.install(window)
    assert icon is not None
    icon._fill_run_menu()
    entry = next(a for a in icon.run_menu.actions() if a.text().startswith("slow"))
    resume = next(a for a in entry.menu().actions() if a.text() == "R&esume")
    resume.trigger()  # the tray's Resume for this run
    assert not session.paused
    window.pause_action.trigger()  # Pause all: runs and schedules
    assert session.paused and window.scheduler.paused
    qtbot.wait(300)
    assert len(set(_steady(qtbot, replica))) == 1
    window.pause_action.trigger()
    assert not session.paused and not window.scheduler.paused
    qtbot.waitUntil(lambda: "limited to 4 MiB/s" in window.progress.numbers.text(), timeout=5000)
    qtbot.waitUntil(lambda: not session.running, timeout=30000)
    assert session.result is not None and session.result.status == "ok"
    assert (replica / "big.bin").read_bytes() == data
    assert not window.pause_run_action.isEnabled()


def test_the_editor_checks_window_and_bandwidth_limit_as_you_type(
    qtbot, window: MainWindow, tmp_path: Path, mirror_profile: Callable[..., Profile]
) -> None:  # type: ignore[no-untyped-def]
    mirror_profile("docs", tmp_path / "a", tmp_path / "b")
    window.refresh_profiles(select="docs")
    window.tabs.setCurrentWidget(window.editor)
    form = window.editor.form
    form.optional_groups["schedule"].setChecked(True)
    form.field("schedule", "every").widget.setText("4h")  # type: ignore[attr-defined]
    span = form.field("schedule", "window")
    limit = form.field("mirror", "bwlimit")
    assert span.label.text().startswith("Time window") and limit.label.text().startswith("Bandwidth limit")
    span.widget.setText("19:00-7:00")  # type: ignore[attr-defined]
    limit.widget.setText("4 M")  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: "is not a time of day" in span.error.text())
    qtbot.waitUntil(lambda: "timetable entry" in limit.error.text())
    assert not window.editor.save_button.isEnabled()
    span.widget.setText("19:00-07:00")  # type: ignore[attr-defined]
    limit.widget.setText("08:00,4M 19:00,off")  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: window.editor.save_button.isEnabled())
    assert window.editor.save()
    spec = read_profile(window.folders.profiles / "docs.toml").spec
    assert spec.schedule is not None and spec.schedule.window == "19:00-07:00"
    assert spec.mirror.bwlimit == "08:00,4M 19:00,off"  # type: ignore[union-attr]


def test_a_scheduled_start_gets_its_windows_end_and_none_starts_outside(
    qtbot, window: MainWindow, dialogs: Dialogs, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "src").mkdir()
    now = datetime.now().astimezone()
    _scheduled(window.folders, tmp_path, "open", _window_from(now, -timedelta(hours=1), timedelta(hours=1)))
    _scheduled(window.folders, tmp_path, "shut", _window_from(now, timedelta(hours=2), timedelta(hours=3)))
    window.refresh_profiles()
    assert window.start_run("shut", trigger="schedule") is None and dialogs.asked == []
    session = window.start_run("open", trigger="schedule")
    assert session is not None
    end = session.worker.window_end
    assert end is not None and f"{end.astimezone():%H:%M}" == f"{now + timedelta(hours=1):%H:%M}"
    qtbot.waitUntil(lambda: not session.running, timeout=20000)
