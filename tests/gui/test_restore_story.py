"""Issue 18.8: restore as a user meets it — runs told apart to the second with their file counts, a
filter box, what happened to each file, nothing selected until the user picks, and the models of a
dated Revit folder."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, Qt

from engine.core.folders import Folders
from engine.core.profile_store import save_profile
from engine.core.profiles import Profile, RevitProfile
from gui.main_window import MainWindow
from gui.restore_dialog import HAPPENED, MODIFIED, NAME, RestoreDialog
from gui.restore_list import all_items
from tests.gui.clicks import click_tab


def _kept(replica: Path, stamp: str, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = replica / ".rearguard" / "versions" / stamp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _open(qtbot, window: MainWindow) -> RestoreDialog:  # type: ignore[no-untyped-def]
    click_tab(qtbot, window.tabs, "History")
    qtbot.mouseClick(window.history.restore_button, Qt.MouseButton.LeftButton)
    (dialog,) = [d for d in window.history.findChildren(RestoreDialog) if d.isVisible()]
    qtbot.waitUntil(lambda: not dialog.busy and dialog.runs.count() > 0, timeout=10_000)
    return dialog


def _shown(dialog: RestoreDialog) -> dict[str, list[str]]:
    return {i.text(NAME): [i.text(c) for c in range(4)] for i in all_items(dialog.items) if not i.isHidden()}


def test_runs_files_and_what_happened_to_them(
    qtbot, window: MainWindow, mirror_profile: Callable[..., Profile], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    source, replica = tmp_path / "src", tmp_path / "rep"
    (source / "docs").mkdir(parents=True)
    (source / "docs" / "report.txt").write_text("today", encoding="utf-8")
    _kept(replica, "2026-03-02T020000Z", {"docs/report.txt": "march", "docs/old.txt": "gone since"})
    _kept(replica, "2026-03-02T020030Z", {"docs/report.txt": "march, later"})  # the same minute
    mirror_profile("Docs", source, replica)
    window.refresh_profiles(select="Docs")
    dialog = _open(qtbot, window)

    runs = [dialog.runs.item(n).text() for n in range(dialog.runs.count())]
    assert len(set(runs)) == 2  # told apart: to the second, with their counts
    assert runs[0].startswith("Mon 02 Mar 2026") and runs[0].endswith(":00:30 · 1 file")
    assert runs[1].endswith(":00:00 · 2 files")

    # Nothing is selected: "Restore to original place" cannot act on a folder by accident.
    dialog.runs.setCurrentRow(1)
    qtbot.waitUntil(lambda: "deleted" in " ".join(v[HAPPENED] for v in _shown(dialog).values()), timeout=5000)
    assert dialog.selected() is None and not dialog.items.selectedItems()
    assert not dialog.original_button.isEnabled() and not dialog.elsewhere_button.isEnabled()

    shown = _shown(dialog)
    assert shown["report.txt"][HAPPENED].startswith("replaced") and shown["old.txt"][HAPPENED].startswith(
        "deleted"
    )
    today = time.strftime("%Y-%m-%d")
    assert shown["old.txt"][MODIFIED].startswith(today)  # when the kept copy was last changed

    # The filter box narrows the list by name; the folder leading to a match stays.
    qtbot.keyClicks(dialog.search, "OLD")
    assert set(_shown(dialog)) == {"docs", "old.txt"}
    dialog.search.clear()

    # Picking an entry enables the buttons and says where it goes.
    old = next(i for i in all_items(dialog.items) if i.text(NAME) == "old.txt")
    rect = dialog.items.visualItemRect(old)
    qtbot.mouseClick(dialog.items.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.center()))
    assert dialog.selected() is not None and dialog.selected().path == "docs/old.txt"  # type: ignore[union-attr]
    assert dialog.original_button.isEnabled()
    assert str(source / "docs" / "old.txt") in dialog.status.text()
    dialog.close()


def test_a_dated_revit_folder_lists_its_models(
    qtbot, window: MainWindow, folders: Folders, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "exports"
    for rel in ("Office/Tower A/Tower_A_ARCH.rvt", "Office/Tower B/Boundary.rvt"):
        path = target / "2026-03-02" / rel
        path.parent.mkdir(parents=True)
        path.write_bytes(b"\xd0\xcf\x11\xe0" + b"x" * 2000)
    (target / "2026-03-01").mkdir()
    spec = RevitProfile.model_validate(
        {
            "kind": "revit",
            "revit": {"server": "RS01", "projects_dir": str(tmp_path), "tool": "t", "target": str(target)},
        }
    )
    save_profile(folders, "Revit", spec)
    window.refresh_profiles(select="Revit")
    dialog = _open(qtbot, window)
    assert [dialog.runs.item(n).text() for n in range(2)] == [
        "Mon 02 Mar 2026 — 2 models",
        "Sun 01 Mar 2026 — 0 models",
    ]
    shown = _shown(dialog)
    assert set(shown) == {"Office/Tower A/Tower_A_ARCH.rvt", "Office/Tower B/Boundary.rvt"}
    assert all(v[HAPPENED] == "exported" for v in shown.values())
    assert dialog.selected() is None and not dialog.elsewhere_button.isEnabled()
    dialog.runs.setCurrentRow(1)
    assert "No model was exported" in dialog.status.text()
    dialog.close()
