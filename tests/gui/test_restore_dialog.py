"""The restore dialog: browse a mirror's versions by run and restore without overwriting."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from engine.core.profiles import Profile
from gui.main_window import MainWindow
from gui.restore_dialog import RestoreDialog


def kept_version(replica: Path) -> None:
    folder = replica / ".rearguard" / "versions" / "2026-03-02T020000Z" / "docs"
    folder.mkdir(parents=True)
    (folder / "report.txt").write_text("version of march", encoding="utf-8")


def select(dialog: RestoreDialog, name: str) -> None:
    (item,) = [
        i
        for i in dialog.items.findItems(name, __import__("PySide6.QtCore").QtCore.Qt.MatchFlag.MatchRecursive)
    ]
    dialog.items.setCurrentItem(item)


def test_a_file_is_restored_from_versions_and_never_overwritten_without_asking(
    qtbot, window: MainWindow, mirror_profile: Callable[..., Profile], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    source, replica = tmp_path / "src", tmp_path / "rep"
    (source / "docs").mkdir(parents=True)
    (source / "docs" / "report.txt").write_text("today", encoding="utf-8")
    kept_version(replica)
    mirror_profile("Docs", source, replica)
    window.refresh_profiles(select="Docs")
    dialog = window.history.open_restore()
    assert isinstance(dialog, RestoreDialog)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.runs.count() == 1)
    assert "1 file" in dialog.runs.item(0).text()
    select(dialog, "report.txt")
    answers = [False, True]
    asked: list[str] = []
    dialog.ask = lambda title, text: asked.append(title) or answers.pop(0)  # type: ignore[method-assign]
    dialog.original_button.click()
    qtbot.waitUntil(lambda: not dialog.busy and "left alone" in dialog.status.text())
    assert (source / "docs" / "report.txt").read_text(encoding="utf-8") == "today"
    dialog.original_button.click()
    qtbot.waitUntil(lambda: not dialog.busy and "Restored 1 file" in dialog.status.text())
    assert (source / "docs" / "report.txt").read_text(encoding="utf-8") == "version of march"
    assert asked == ["Replace existing files?", "Replace existing files?"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    dialog.choose_folder = lambda: elsewhere  # type: ignore[method-assign]
    dialog.elsewhere_button.click()
    qtbot.waitUntil(lambda: not dialog.busy and (elsewhere / "report.txt").exists())


def test_rclone_versions_are_listed_and_one_file_downloads_without_overwriting(
    qtbot, folders, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from engine.core.profile_store import save_profile
    from engine.core.profiles import RcloneProfile

    source, remote = tmp_path / "src", tmp_path / "remote"
    kept = remote / ".rearguard" / "versions" / "2026-03-02T020000.000001Z" / "docs"
    kept.mkdir(parents=True)
    (kept / "report.txt").write_text("version of march", encoding="utf-8")
    (source / "docs").mkdir(parents=True)
    (source / "docs" / "report.txt").write_text("today", encoding="utf-8")
    spec = RcloneProfile.model_validate(
        {"kind": "rclone", "rclone": {"source": str(source), "remote": str(remote)}}
    )
    dialog = RestoreDialog(save_profile(folders, "Offsite", spec))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.runs.count() == 1, timeout=10_000)
    dialog.items.setCurrentItem(dialog.items.topLevelItem(0))
    dialog.ask = lambda title, text: False  # type: ignore[method-assign]
    dialog.original_button.click()
    qtbot.waitUntil(lambda: "left alone" in dialog.status.text(), timeout=10_000)
    assert (source / "docs" / "report.txt").read_text(encoding="utf-8") == "today"
    elsewhere = tmp_path / "elsewhere"
    dialog.choose_folder = lambda: elsewhere  # type: ignore[method-assign]
    dialog.elsewhere_button.click()
    qtbot.waitUntil(lambda: "Restored 1 file" in dialog.status.text(), timeout=10_000)
    assert (elsewhere / "report.txt").read_text(encoding="utf-8") == "version of march"


def test_revit_lists_dated_export_folders(qtbot, folders, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from engine.core.profile_store import save_profile
    from engine.core.profiles import RevitProfile

    target = tmp_path / "exports"
    for day in ("2026-03-01", "2026-03-02", "notes"):
        (target / day).mkdir(parents=True)
    spec = RevitProfile.model_validate(
        {
            "kind": "revit",
            "revit": {
                "server": "RS01",
                "projects_dir": str(tmp_path),
                "tool": "t.exe",
                "target": str(target),
            },
        }
    )
    dialog = RestoreDialog(save_profile(folders, "Revit", spec))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.runs.count() == 2)
    assert [dialog.runs.item(i).text() for i in range(dialog.runs.count())] == [
        "Mon 02 Mar 2026 — 0 models",
        "Sun 01 Mar 2026 — 0 models",
    ]
    assert dialog.open_button.isEnabled() and not dialog.original_button.isVisible()
