"""The Settings form: built from the engine's models, validated as the user types, saved as TOML,
and never losing changes silently."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QPlainTextEdit, QSpinBox

from engine.core.profiles import KINDS, SPEC_BY_KIND, read_profile
from gui.form_fields import section_model
from gui.kind_form import KindForm, place_problem
from gui.main_window import MainWindow
from tests.gui.conftest import Button, Dialogs


@pytest.mark.parametrize("kind", KINDS)
def test_every_key_of_every_kind_has_a_field(qapp, kind: str) -> None:  # type: ignore[no-untyped-def]
    form = KindForm(kind)
    expected = set()
    for key, info in SPEC_BY_KIND[kind].model_fields.items():
        sub = section_model(info.annotation)
        if sub is None:
            if key != "kind":
                expected.add((None, key))
        else:
            expected |= {(key, sub_key) for sub_key in sub.model_fields}
    assert set(form.fields) == expected
    for (section, key), editor in form.fields.items():
        info = (
            SPEC_BY_KIND[kind].model_fields[key]
            if section is None
            else section_model(SPEC_BY_KIND[kind].model_fields[section].annotation).model_fields[key]
        )  # type: ignore[union-attr]
        assert editor.help.text() == (info.description or "")
        widget_type = {bool: QCheckBox, int: QSpinBox, float: QDoubleSpinBox}.get(info.annotation)
        if widget_type is not None:
            assert isinstance(editor.widget, widget_type)
        elif "list" in str(info.annotation):
            assert isinstance(editor.widget, QPlainTextEdit)
        elif "Literal" in str(info.annotation):  # a fixed set of words: offered, not typed
            assert isinstance(editor.widget, QComboBox)
            word = "copied" if key == "verify" else "always"
            assert editor.set_value(word) and editor.value() == word
            assert not editor.set_value("sometimes")
        else:
            assert isinstance(editor.widget, QLineEdit)
    pickers = {key for (section, key), editor in form.fields.items() if editor.browse is not None}
    assert (
        pickers
        == {
            "mirror": {"source", "replica"},
            "rclone": {"source", "remote", "config", "rclone"},
            "revit": {"projects_dir", "model_table", "tool", "target"},
        }[kind]
    )


def test_problems_land_beside_their_fields() -> None:
    fields = {("mirror", "replica"): None, ("mirror", "source"): None, (None, "description"): None}
    assert place_problem("[mirror].replica: must not be empty", fields) == (
        "mirror",
        "replica",
        "must not be empty",
    )  # type: ignore[arg-type]
    assert place_problem("[mirror]: replica must not be inside source", fields) == (  # type: ignore[arg-type]
        "mirror",
        "replica",
        "replica must not be inside source",
    )
    assert place_problem("[mirror]: section is missing", fields) == ("mirror", None, "section is missing")  # type: ignore[arg-type]
    assert place_problem("[mirror].bogus: unknown key", fields) == ("mirror", None, "bogus: unknown key")  # type: ignore[arg-type]
    assert place_problem("description: Input should be a valid string", fields) == (  # type: ignore[arg-type]
        None,
        "description",
        "Input should be a valid string",
    )
    assert place_problem("colour: unknown key", fields) is None  # type: ignore[arg-type]


def test_schedule_and_durations_are_checked_as_you_type(
    qtbot,
    window: MainWindow,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    mirror_profile,
) -> None:
    mirror_profile("docs", tmp_path / "a", tmp_path / "b")
    window.refresh_profiles(select="docs")
    window.tabs.setCurrentWidget(window.editor)
    form = window.editor.form
    keep = form.field("mirror", "keep_versions")
    keep.widget.setText("30 days")  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: keep.error.isVisible())
    assert "not a duration" in keep.error.text()
    schedule = form.optional_groups["schedule"]
    schedule.setChecked(True)
    every = form.field("schedule", "every")
    every.widget.setText("5m")  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: "too short" in every.error.text())
    assert window.editor.problems_button.text().startswith("⚠ 2 problems")
    assert not window.editor.save_button.isEnabled()
    every.widget.setText("4h")  # type: ignore[attr-defined]
    keep.widget.setText("60d")  # type: ignore[attr-defined]
    form.field("schedule", "at").widget.setText("02:30")  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: window.editor.save_button.isEnabled())
    assert window.editor.save()
    spec = read_profile(window.folders.profiles / "docs.toml").spec
    assert spec.schedule is not None and spec.schedule.every == "4h" and spec.schedule.at == "02:30"
    assert spec.mirror.keep_versions == "60d"  # type: ignore[union-attr]
    text = (window.folders.profiles / "docs.toml").read_text()
    assert "[schedule]" in text and 'every = "4h"' in text
    assert window.list_model.rows[0].schedule_text == "every 4h from 02:30"


def test_a_broken_file_is_shown_with_its_problems_and_saved_corrected(
    qtbot,
    window: MainWindow,  # type: ignore[no-untyped-def]
    folders,
    tmp_path: Path,
) -> None:
    path = folders.profiles / "broken.toml"
    path.write_text(
        f'kind = "mirror"\ncolour = "red"\n[mirror]\nsource = "{tmp_path / "s"}"\n'
        f'replica = "{tmp_path / "r"}"\nmax_delete_percent = "lots"\n'
    )
    window.refresh_profiles(select="broken")
    editor = window.editor
    assert window.list_model.rows[0].mark == "invalid"
    assert "max_delete_percent" in editor.banner.text() and "colour: unknown key" in editor.banner.text()
    assert editor.form.field("mirror", "source").value() == str(tmp_path / "s")
    assert not window.run_action.isEnabled()
    assert editor.save_button.isEnabled()  # the form is valid: saving writes a corrected file
    assert editor.save()
    assert read_profile(path).spec.mirror.max_delete_percent == 50  # type: ignore[union-attr]
    assert window.list_model.rows[0].mark == "never" and window.run_action.isEnabled()


def test_unsaved_changes_are_never_lost_silently(
    qtbot,
    window: MainWindow,
    dialogs: Dialogs,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    mirror_profile,
) -> None:
    mirror_profile("alpha", tmp_path / "a", tmp_path / "a2")
    mirror_profile("beta", tmp_path / "b", tmp_path / "b2")
    window.refresh_profiles(select="alpha")
    description = window.editor.form.field(None, "description")
    description.widget.setText("my change")  # type: ignore[attr-defined]
    assert window.editor.is_dirty and window.isWindowModified()
    assert window.tabs.tabText(1) == "&Settings •"

    dialogs.answers = [Button.Cancel]  # stay: the selection and the typing stay too
    window.select("beta")
    assert window.shown_name == "alpha" and description.value() == "my change"
    assert window.list.currentIndex().row() == window.list_model.row_for("alpha")
    assert "unsaved changes" in dialogs.asked[-1]

    dialogs.answers = [Button.Save]  # save on the way out
    window.select("beta")
    assert window.shown_name == "beta"
    assert read_profile(window.folders.profiles / "alpha.toml").spec.description == "my change"

    window.editor.form.field(None, "description").widget.setText("thrown away")  # type: ignore[attr-defined]
    dialogs.answers = [Button.Discard]
    window.select("alpha")
    assert window.shown_name == "alpha"
    assert read_profile(window.folders.profiles / "beta.toml").spec.description == ""

    window.editor.form.field(None, "description").widget.setText("run with it?")  # type: ignore[attr-defined]
    dialogs.answers = [Button.Cancel]
    assert window.start_run(dry_run=True) is None  # running asks first, too
    window.editor.form.field(None, "description").widget.setText("my change")  # type: ignore[attr-defined]
    assert not window.editor.is_dirty  # back to what is saved: nothing to ask about


def test_revert_restores_the_saved_values(
    qtbot,
    window: MainWindow,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    mirror_profile,
) -> None:
    mirror_profile("alpha", tmp_path / "a", tmp_path / "a2", exclude=["*.tmp"])
    window.refresh_profiles(select="alpha")
    exclude = window.editor.form.field("mirror", "exclude")
    exclude.widget.setPlainText("*.tmp\n*.bak\n\n")  # type: ignore[attr-defined]
    assert exclude.value() == ["*.tmp", "*.bak"]
    assert window.editor.revert_button.isEnabled()
    window.editor.revert_button.click()
    assert exclude.value() == ["*.tmp"] and not window.editor.is_dirty


def test_new_profile_of_each_kind_needs_its_required_keys(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window.new_actions["revit"].trigger()
    editor = window.editor
    assert editor.form.kind == "revit" and editor.name.text() == "New revit"
    editor.validate()
    required = {"server", "projects_dir", "tool", "target"}

    def flagged() -> set[str]:
        return {key for (section, key), f in editor.form.fields.items() if f.error.isVisibleTo(editor)}

    assert flagged() == set()  # a blank new profile: no errors until touched or saved
    assert not editor.save()  # Save shows every problem
    assert flagged() == required
    for key in required:
        editor.form.field("revit", key).widget.setText(str(tmp_path / key))  # type: ignore[attr-defined]
    editor.name.setText("bad/name")
    editor.validate()
    assert editor.name_error.isVisibleTo(editor) and not editor.save()
    editor.name.setText("Nightly Revit")
    assert editor.save()
    spec = read_profile(window.folders.profiles / "Nightly Revit.toml").spec
    assert spec.kind == "revit" and spec.revit.window_hours == 24  # type: ignore[union-attr]
    assert window.shown_name == "Nightly Revit" and editor.name.isReadOnly()
