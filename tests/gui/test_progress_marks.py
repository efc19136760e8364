"""Issue 18.6: during a run a half-done folder shows a running mark, not the ✓ of a finished one;
the tree lists what the run will do from its start, by name, with its Action (rclone too); the
progress line counts files, not folders, and says the percentage the profile list and header say."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex

import engine.jobs.mirror.apply as mirror_apply
from engine.core.folders import Folders
from engine.core.plan import Action, ActionKind, Plan
from engine.core.profile_store import save_profile
from engine.core.profiles import RcloneProfile
from engine.files.atomic import InstallBatch
from gui.main_window import MainWindow
from gui.progress_model import ACTION, NAME, STATE, ProgressModel
from gui.progress_tree import DONE, PLANNED, RUNNING, run_tree
from tests.gui.clicks import click_action


def _rows(model: ProgressModel, parent: QModelIndex | None = None) -> list[tuple[str, str, str]]:
    parent = parent or QModelIndex()
    if model.canFetchMore(parent):
        model.fetchMore(parent)
    return [
        (
            model.index(r, NAME, parent).data(),
            model.index(r, ACTION, parent).data(),
            model.index(r, STATE, parent).data(),
        )
        for r in range(model.rowCount(parent))
    ]


def test_a_half_done_folder_runs_until_its_last_file_is_done(
    qtbot, window: MainWindow, tmp_path: Path, mirror_profile, make_files, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    make_files(tmp_path / "src", 30, per_folder=10)  # folder000 … folder002
    mirror_profile("Docs", tmp_path / "src", tmp_path / "dst")
    window.refresh_profiles(select="Docs")
    held, release = threading.Event(), threading.Event()
    real_copy = mirror_apply.copy_file_atomic
    monkeypatch.setattr(mirror_apply, "copy_file_atomic", _holding(real_copy, "f00015.txt", held, release))
    monkeypatch.setattr("gui.run_worker.notify_run_started", lambda *a: None)
    monkeypatch.setattr(InstallBatch, "full", property(lambda self: True))  # each file done at once

    click_action(qtbot, window, window.run_action)
    session = window.sessions["Docs"]
    assert held.wait(10)
    model = session.model
    qtbot.waitUntil(lambda: model.tree.root.by_name is not None and "folder001" in model.tree.root.by_name)
    folder = model.tree.root.by_name["folder001"]
    qtbot.waitUntil(lambda: folder.counts is not None and folder.counts[DONE] == 6, timeout=5000)
    assert folder.mark() == RUNNING  # the folder and five files done, five to come: not ✓
    rows = _rows(model)
    assert rows[1][2] == "5 planned · 6 done"  # what the row says beside its mark
    assert [name for name, _a, _s in rows] == ["folder000", "folder001", "folder002"]  # by name
    assert all(action == "copy" for _n, action, _s in rows)  # the plan's action, from the start
    numbers = window.progress.numbers.text()
    assert " of 30 files" in numbers  # the three folders are not counted as files
    assert f"{session.stats.whole_percent} %" in window.list_model.rows[0].line(window.list_model.now)
    assert window.progress.bar.value() == session.stats.whole_percent

    release.set()
    qtbot.waitUntil(lambda: not session.running, timeout=10000)
    assert folder.mark() == DONE
    assert "30 of 30 files" in window.progress.numbers.text()


def _holding(real_copy, name: str, held: threading.Event, release: threading.Event):  # type: ignore[no-untyped-def]
    def copy(source: str, target: str, **kwargs):  # type: ignore[no-untyped-def]
        if source.endswith(name):
            held.set()
            release.wait(10)
        return real_copy(source, target, **kwargs)

    return copy


def test_the_run_tree_is_by_name_with_actions_and_marks() -> None:
    plan = Plan(
        actions=(
            Action(ActionKind.UPLOAD, "zeta/b.txt", 10),
            Action(ActionKind.UPLOAD, "alpha/a.txt", 10),
            Action(ActionKind.UPLOAD, "zeta/a.txt", 10),
            Action(ActionKind.DELETE, "alpha/old.txt", 5),
        )
    )
    ready = run_tree(plan)
    tree = ready.tree
    assert [c.name for c in tree.root.children] == ["alpha", "zeta"]
    assert [c.name for c in tree.root.by_name["zeta"].children] == ["a.txt", "b.txt"]
    assert tree.by_path["alpha/old.txt"].action == "delete"
    zeta = tree.root.by_name["zeta"]
    assert zeta.mark() == PLANNED
    tree.finished("zeta/a.txt", "upload", "done", 10, "")
    assert zeta.mark() == RUNNING  # half done
    tree.finished("zeta/b.txt", "upload", "done", 10, "")
    assert zeta.mark() == DONE
    assert ready.files == {"zeta/a.txt", "zeta/b.txt", "alpha/a.txt", "alpha/old.txt"}


def test_a_made_folder_is_not_progress_through_its_files() -> None:
    plan = Plan(
        actions=(Action(ActionKind.COPY, "docs", is_dir=True), Action(ActionKind.COPY, "docs/a.txt", 5))
    )
    tree = run_tree(plan).tree
    docs = tree.root.by_name["docs"]
    tree.finished("docs", "copy", "done", 0, "")  # the folder is made, its file not copied yet
    assert docs.mark() == PLANNED
    tree.finished("docs/a.txt", "copy", "done", 5, "")
    assert docs.mark() == DONE


def test_an_rclone_run_lists_its_uploads_by_name_with_their_action(
    qtbot, window: MainWindow, folders: Folders, tmp_path: Path, rclone_env: None
) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "src"
    for name in ("zulu", "alpha", "mike"):
        (source / name).mkdir(parents=True)
        for n in range(3):
            (source / name / f"{n}.txt").write_text(name * (n + 1), encoding="utf-8")
    remote = tmp_path / "remote"
    remote.mkdir()
    spec = RcloneProfile.model_validate(
        {"kind": "rclone", "rclone": {"source": str(source), "remote": str(remote)}}
    )
    save_profile(folders, "Offsite", spec)
    window.refresh_profiles(select="Offsite")
    click_action(qtbot, window, window.run_action)
    session = window.sessions["Offsite"]
    qtbot.waitUntil(lambda: not session.running, timeout=30000)
    assert session.result is not None and session.result.status == "ok", window.progress.report.text()
    rows = _rows(session.model)
    assert [name for name, _a, _s in rows] == ["alpha", "mike", "zulu"]
    inner = _rows(session.model, session.model.index(0, 0))
    assert [(n, a) for n, a, _s in inner] == [("0.txt", "upload"), ("1.txt", "upload"), ("2.txt", "upload")]
    assert all(state == "done" for _n, _a, state in inner)
