"""Issue 18.4: the Settings form runs what ``rearguard check`` runs, as you type — a replica inside its
source, two profiles sharing a target, an rclone remote inside its source — and "N problems" takes
the user to each; a new, blank profile shows no errors until a field is touched or Save is pressed."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from engine.cli.profile_commands import check_command
from engine.core.errors import ProfileError
from engine.core.folders import Folders
from engine.core.profile_store import save_profile
from engine.core.profiles import RcloneProfile, resolve_profile
from gui.form_fields import FieldEditor
from gui.main_window import MainWindow


def _type(qtbot, editor: FieldEditor, text: str) -> None:  # type: ignore[no-untyped-def]
    editor.widget.clear()  # type: ignore[attr-defined]
    qtbot.keyClicks(editor.widget, text)


def _errors(window: MainWindow) -> dict[str, str]:
    return {
        key: field.error.text()
        for (_section, key), field in window.editor.form.fields.items()
        if field.error.isVisibleTo(window.editor)
    }


def test_a_new_profile_is_checked_like_check_as_you_type(
    qtbot, window: MainWindow, folders: Folders, mirror_profile, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    mirror_profile("Projects", tmp_path / "projects", tmp_path / "nas" / "projects")
    window.refresh_profiles(select="Projects")
    qtbot.mouseClick(window.editor, Qt.MouseButton.LeftButton)
    window.new_actions["mirror"].trigger()
    editor = window.editor

    # Blank: no errors yet, only what to do; Save is there to press.
    editor.validate()
    assert (
        _errors(window) == {} and not editor.name_error.isVisible() and not editor.problems_button.isVisible()
    )
    assert editor.status.text() == "New profile: fill in the fields marked *, then Save"
    assert editor.save_button.isEnabled()

    # Touched fields are checked as typed, with the whole-profile rules of `check`.
    form = editor.form
    _type(qtbot, form.field("mirror", "source"), str(tmp_path / "docs"))
    _type(qtbot, form.field("mirror", "replica"), str(tmp_path / "nas" / "projects"))
    qtbot.waitUntil(lambda: "replica" in _errors(window), timeout=3000)
    assert "the target of profile 'Projects'" in _errors(window)["replica"]
    assert "source" not in _errors(window)  # touched, and fine
    _type(qtbot, form.field("mirror", "replica"), str(tmp_path / "docs" / "copy"))
    qtbot.waitUntil(lambda: "inside source" in _errors(window).get("replica", ""), timeout=3000)
    editor.name.selectAll()
    qtbot.keyClicks(editor.name, "Docs/USB")  # not a file name
    qtbot.waitUntil(
        lambda: editor.problems_button.isVisible() and "2 problems" in editor.problems_button.text()
    )
    assert not editor.save_button.isEnabled()

    # "2 problems" lists them; choosing one takes the user to its field.
    actions = editor.problems_menu.actions()
    assert len(actions) == 2
    name = next(a for a in actions if "replica" not in a.text())
    name.trigger()
    assert QApplication.focusWidget() is editor.name
    replica = next(a for a in actions if "replica" in a.text())
    replica.trigger()
    assert QApplication.focusWidget() is form.field("mirror", "replica").widget


def test_save_on_a_blank_profile_shows_every_problem(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.new_actions["rclone"].trigger()
    editor = window.editor
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert set(_errors(window)) == {"source", "remote"}
    assert editor.problems_button.isVisible() and not editor.save_button.isEnabled()


def test_an_rclone_remote_inside_its_source_is_refused_by_the_form_and_by_check(
    qtbot, window: MainWindow, folders: Folders, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "src"
    source.mkdir()
    spec = RcloneProfile.model_validate(
        {"kind": "rclone", "rclone": {"source": str(source), "remote": str(source / "backup")}}
    )
    save_profile(folders, "Offsite", spec)
    with pytest.raises(ProfileError) as refused:
        check_command(folders, "Offsite")
    assert "[rclone].remote: remote must not be inside source" in str(refused.value)
    window.refresh_profiles(select="Offsite")
    qtbot.waitUntil(lambda: "remote must not be inside source" in _errors(window).get("remote", ""))
    assert resolve_profile(folders, "Offsite").name == "Offsite"  # the file itself still parses
