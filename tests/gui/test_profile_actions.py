"""Duplicate, rename and delete from the window; runs that cannot start say why."""

from __future__ import annotations

from pathlib import Path

from engine.core.lock import ProfileLock
from engine.core.profiles import read_profile
from engine.core.runner import run_profile
from engine.core.state import StateDB
from gui.main_window import MainWindow
from tests.gui.conftest import Button, Dialogs


def test_duplicate_rename_and_delete(
    qtbot,
    window: MainWindow,
    dialogs: Dialogs,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    mirror_profile,
    make_files,
) -> None:
    make_files(tmp_path / "src", 5)
    profile = mirror_profile("docs", tmp_path / "src", tmp_path / "dst")
    run_profile(profile, window.folders)  # one run of history to carry along
    window.refresh_profiles(select="docs")
    assert window.progress.title.text().startswith("Last run of docs: today")  # opened on its report
    assert window.progress.report.headline.text() == "Finished: everything done"
    assert window.progress.report.shown_counts["done"] == 6

    window.duplicate_action.trigger()
    assert window.shown_name == "docs copy" and window.tabs.currentWidget() is window.editor
    assert read_profile(window.folders.profiles / "docs copy.toml").spec == profile.spec
    assert [r.name for r in window.list_model.rows] == ["docs", "docs copy"]

    window.select("docs")
    dialogs.texts = ["docs copy"]  # taken: refused with the reason
    window.rename_action.trigger()
    assert "already exists" in dialogs.told[-1]
    dialogs.texts = ["Documents"]
    window.rename_action.trigger()
    assert window.shown_name == "Documents"
    assert not (window.folders.profiles / "docs.toml").exists()
    db = StateDB(window.folders.state_db)
    try:
        assert [r.profile for r in db.runs()] == ["Documents"]  # the history came along
    finally:
        db.close()
    assert [r.status for r in window.history.model.rows] == ["ok"]

    dialogs.answers = [Button.No]
    window.delete_action.trigger()
    assert (window.folders.profiles / "Documents.toml").exists()
    assert "backups already made and the run history stay" in dialogs.asked[-1]
    dialogs.answers = [Button.Yes]
    window.delete_action.trigger()
    assert not (window.folders.profiles / "Documents.toml").exists()
    assert [r.name for r in window.list_model.rows] == ["docs copy"]
    assert window.shown_name == "docs copy"


def test_a_profile_running_elsewhere_is_reported_not_run(
    qtbot,
    window: MainWindow,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    mirror_profile,
    make_files,
) -> None:
    make_files(tmp_path / "src", 3)
    mirror_profile("docs", tmp_path / "src", tmp_path / "dst")
    window.refresh_profiles(select="docs")
    with ProfileLock(window.folders.locks, "docs", command="rearguard run docs"):
        session = window.start_run()
        assert session is not None
        qtbot.waitUntil(lambda: not session.running, timeout=10000)
    assert session.result is not None and session.result.error_kind == "locked"
    banner = window.progress.banner
    assert banner.isVisible() and "already running" in banner.text.text()
    assert "rearguard run docs" in banner.text.text()
    assert window.run_action.isEnabled()  # nothing is stuck: it can be tried again


def test_a_refused_preview_says_why_and_changes_nothing(
    qtbot,
    window: MainWindow,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    mirror_profile,
    make_files,
) -> None:
    (tmp_path / "src").mkdir()
    make_files(tmp_path / "dst", 10)  # an empty source over a full replica: an unmounted disk?
    mirror_profile("docs", tmp_path / "src", tmp_path / "dst")
    window.refresh_profiles(select="docs")
    session = window.start_run(dry_run=True)
    assert session is not None
    qtbot.waitUntil(lambda: not session.running, timeout=10000)
    assert session.result is not None and session.result.status == "refused"
    text = window.progress.banner.text.text()
    assert window.progress.banner.isVisible() and "source is empty" in text and "refused" in text
    assert len(list((tmp_path / "dst").rglob("*.txt"))) == 10

    session = window.start_run()  # the real run is refused too, with a report that says so
    assert session is not None
    qtbot.waitUntil(lambda: not session.running, timeout=10000)
    assert window.progress.report.headline.text().startswith("Refused")
    assert "source is empty" in window.progress.report.reason.text()
    assert window.list_model.rows[0].mark == "refused"
    assert len(list((tmp_path / "dst").rglob("*.txt"))) == 10


def test_failures_are_listed_with_their_reasons(
    qtbot,
    window: MainWindow,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    mirror_profile,
    make_files,
    monkeypatch,
) -> None:
    import engine.jobs.mirror.apply as mirror_apply

    make_files(tmp_path / "src", 12)
    mirror_profile("docs", tmp_path / "src", tmp_path / "dst")
    window.refresh_profiles(select="docs")
    real_copy = mirror_apply.copy_file_atomic

    def copy(source: str, target: str, **kwargs):  # type: ignore[no-untyped-def]
        if source.endswith("f00003.txt"):
            raise PermissionError(13, "Permission denied")
        return real_copy(source, target, **kwargs)

    monkeypatch.setattr(mirror_apply, "copy_file_atomic", copy)
    session = window.start_run()
    assert session is not None
    qtbot.waitUntil(lambda: not session.running, timeout=10000)
    report = window.progress.report
    assert report.headline.text() == "Finished with failures"
    assert report.failures.rowCount() == 1 and report.retry_button.isVisibleTo(report)
    row = [report.failures.index(0, c).data() for c in range(4)]
    assert row == ["folder000/f00003.txt", "copy", "failed", "permission denied"]
    assert window.list_model.rows[0].mark == "failed"


def test_quitting_during_a_run_asks_then_stops_it_cleanly(
    qtbot,
    window: MainWindow,
    dialogs: Dialogs,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    mirror_profile,
    make_files,
    monkeypatch,
) -> None:
    import time

    import engine.jobs.mirror.apply as mirror_apply

    make_files(tmp_path / "src", 300)
    mirror_profile("docs", tmp_path / "src", tmp_path / "dst")
    window.refresh_profiles(select="docs")
    real_copy = mirror_apply.copy_file_atomic

    def slow_copy(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.01)
        return real_copy(*args, **kwargs)

    monkeypatch.setattr(mirror_apply, "copy_file_atomic", slow_copy)
    session = window.start_run()
    assert session is not None
    qtbot.waitUntil(lambda: session.stats.items_finished > 5, timeout=10000)
    dialogs.answers = [Button.No]
    assert not window.close() and window.isVisible() and session.running
    assert "Still running: docs" in dialogs.asked[-1]
    dialogs.answers = [Button.Yes]
    assert window.close()
    assert session.result is not None and session.result.status == "cancelled"
    assert not list((tmp_path / "dst").rglob(".~rg.*"))
