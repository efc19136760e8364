"""Everything a mouse does, the keyboard does too."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from engine.core.profiles import read_profile
from gui.main_window import MainWindow
from tests.gui.conftest import Button, Dialogs


def test_keyboard_only_session(
    qtbot,
    window: MainWindow,
    dialogs: Dialogs,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    mirror_profile,
    make_files,
) -> None:
    make_files(tmp_path / "a", 4)
    mirror_profile("alpha", tmp_path / "a", tmp_path / "a2")
    mirror_profile("beta", tmp_path / "a", tmp_path / "b2")
    window.refresh_profiles(select="alpha")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)

    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.list.hasFocus()
    qtbot.keyClick(window.list, Qt.Key.Key_Down)
    assert window.shown_name == "beta"

    qtbot.keyClick(window.list, Qt.Key.Key_F6)  # preview
    session = window.sessions["beta"]
    qtbot.waitUntil(lambda: not session.running, timeout=10000)
    assert session.dry_run and window.tabs.currentWidget() is window.progress

    qtbot.keyClick(window.list, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.editor
    description = window.editor.form.field(None, "description").widget
    description.setFocus()
    qtbot.keyClicks(description, "typed")
    qtbot.keyClick(description, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window.editor.is_dirty)
    assert read_profile(window.folders.profiles / "beta.toml").spec.description == "typed"

    qtbot.keyClick(description, Qt.Key.Key_Delete)  # in a field, Delete edits text: no profile goes
    assert not dialogs.asked
    window.list.setFocus()
    dialogs.answers = [Button.No]
    qtbot.keyClick(window.list, Qt.Key.Key_Delete)
    assert "Delete profile" in dialogs.asked[-1]

    qtbot.keyClick(window.list, Qt.Key.Key_F5)  # run
    run = window.sessions["beta"]
    assert not run.dry_run
    qtbot.waitUntil(lambda: not run.running, timeout=10000)
    assert run.result is not None and run.result.status == "ok"
