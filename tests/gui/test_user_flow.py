"""The whole story a user goes through in the window, offscreen: create a mirror profile in the form,
meet a validation error, fix it, save, preview, run to 100 %, cancel a second run midway, read the
report."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

import engine.jobs.mirror.apply as mirror_apply
from engine.core.profiles import read_profile
from gui.form_fields import FieldEditor
from gui.main_window import MainWindow
from gui.progress_tree import DONE, PLANNED


def _type(qtbot, editor: FieldEditor, text: str) -> None:  # type: ignore[no-untyped-def]
    editor.widget.clear()  # type: ignore[attr-defined]
    qtbot.keyClicks(editor.widget, text)


def test_create_preview_run_and_cancel(
    qtbot,
    window: MainWindow,
    tmp_path: Path,
    make_files,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source, replica = tmp_path / "projects", tmp_path / "usb" / "projects"
    replica.parent.mkdir()
    make_files(source, 60)

    # New mirror profile: the form opens on the Settings tab with a suggested name to type over.
    window.new_actions["mirror"].trigger()
    editor = window.editor
    assert window.tabs.currentWidget() is editor and editor.is_new
    editor.name.selectAll()
    qtbot.keyClicks(editor.name, "Projects to USB")
    form = editor.form
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args: str(source))
    qtbot.mouseClick(form.field("mirror", "source").browse, Qt.MouseButton.LeftButton)
    assert form.field("mirror", "source").value() == str(source)

    # A replica inside the source: the engine's own model rejects it, next to the field.
    replica_field = form.field("mirror", "replica")
    _type(qtbot, replica_field, str(source / "copy"))
    qtbot.waitUntil(lambda: "inside source" in replica_field.error.text())
    assert replica_field.error.isVisible()
    assert not editor.save_button.isEnabled()
    assert not editor.save()

    # Fixed: the message goes, Save is possible, and writes the TOML file.
    _type(qtbot, replica_field, str(replica))
    qtbot.waitUntil(lambda: not replica_field.error.isVisible() and editor.save_button.isEnabled())
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    saved = read_profile(window.folders.profiles / "Projects to USB.toml")
    assert saved.spec.mirror.replica == str(replica)  # type: ignore[union-attr]
    assert window.shown_name == "Projects to USB" and not editor.is_dirty
    assert window.list_model.row_for("Projects to USB") >= 0

    # Preview: the planned copies appear in the tree; nothing is written.
    window.preview_action.trigger()
    preview = window.sessions["Projects to USB"]
    qtbot.waitUntil(lambda: not preview.running, timeout=15000)
    tree = preview.model.tree
    assert tree.root.counts[PLANNED] == 60 + 6  # 60 files and their 6 folders
    assert window.progress.numbers.text().startswith("Would copy 66")
    assert not replica.exists()

    # Run now: progress climbs to 100 % and the report says everything was done.
    seen: list[float] = []
    window.run_action.trigger()
    run = window.sessions["Projects to USB"]
    run.updated.connect(lambda: seen.append(run.stats.percent))
    assert not window.run_action.isEnabled() and window.cancel_action.isEnabled()
    qtbot.waitUntil(lambda: not run.running, timeout=20000)
    assert run.result is not None and run.result.status == "ok"
    assert window.progress.bar.value() == 100 and window.progress.bar.text() == "100 %"
    assert seen and seen[-1] == 100.0 and seen == sorted(seen)
    assert run.model.tree.root.counts[DONE] == 66
    assert window.progress.report.isVisible()
    assert window.progress.report.counts["done"].text() == "66"
    assert len(list(replica.rglob("*.txt"))) == 60
    assert "ok" in window.list_model.rows[window.list_model.row_for("Projects to USB")].line(
        window.list_model.now
    )

    # A second run with new files, slowed down so it can be cancelled midway.
    make_files(source / "more", 400, prefix="g")
    real_copy = mirror_apply.copy_file_atomic
    first_copy = threading.Event()

    def slow_copy(*args, **kwargs):  # type: ignore[no-untyped-def]
        first_copy.set()
        time.sleep(0.01)
        return real_copy(*args, **kwargs)

    monkeypatch.setattr(mirror_apply, "copy_file_atomic", slow_copy)
    window.run_action.trigger()
    second = window.sessions["Projects to USB"]
    qtbot.waitUntil(lambda: second.stats.items_finished >= 40, timeout=20000)
    window.cancel_action.trigger()
    assert not window.cancel_action.isEnabled()
    qtbot.waitUntil(lambda: not second.running, timeout=20000)
    report = second.result.outcome.report  # type: ignore[union-attr]
    assert report is not None and report.status == "cancelled"
    shown = window.progress.report.shown_counts
    assert 40 <= shown["done"] < 440 and shown["planned"] == 441
    text = window.progress.report.text()
    assert "Cancelled" in text and "cancelled" in text
    assert window.progress.report.headline.text().startswith("Cancelled")
    assert not list(replica.rglob(".~rg.*"))  # nothing half-written
    row = window.list_model.rows[window.list_model.row_for("Projects to USB")]
    assert row.mark == "cancelled" and "cancelled" in row.line(window.list_model.now)

    # History lists both runs, newest first.
    assert [r.status for r in window.history.model.rows] == ["cancelled", "ok"]
