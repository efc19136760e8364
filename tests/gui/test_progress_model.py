"""The progress tree: per-folder totals, lazy children, batches of events, and a preview of a Plan."""

from __future__ import annotations

import time

from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QTreeView

from engine.core.events import ItemFinished, ItemProgress, ItemStarted
from engine.core.plan import Action, ActionKind, Plan
from gui.progress_model import PROGRESS, SIZE, STATE, ProgressModel, folder_summary
from gui.progress_tree import DONE, FAILED, PLANNED, RUNNING, SKIPPED, ProgressTree, preview_tree


def _finished(path: str, status: str = "done", size: int = 100, action: str = "copy") -> ItemFinished:
    return ItemFinished(
        path, action, status, size if status == "done" else 0, "" if status == "done" else "why"
    )


def test_folders_add_up_what_happens_below_them() -> None:
    tree = ProgressTree()
    tree.started("a/b/big.bin", "copy", 1000)
    tree.progressed("a/b/big.bin", 250, 1000)
    tree.finished("a/b/small.txt", "copy", "done", 10, "")
    tree.finished("a/c.txt", "replace", "failed", 0, "permission denied")
    a = tree.root.by_name["a"]
    assert a.counts[RUNNING] == 1 and a.counts[DONE] == 1 and a.counts[FAILED] == 1
    assert a.total == 1010 and a.done == 260
    assert a.mark() == FAILED  # the most urgent state shows on the folder
    assert folder_summary(a) == "1 failed · 1 running · 1 done"
    tree.finished("a/b/big.bin", "copy", "done", 1000, "")
    assert a.done == 1010 and a.counts[RUNNING] == 0 and a.counts[DONE] == 2
    tree.progressed("a/b/big.bin", 500, 1000)  # a late event cannot move a finished item back
    assert a.done == 1010


def test_preview_shows_every_planned_action_and_what_was_left_alone(qapp) -> None:  # type: ignore[no-untyped-def]
    plan = Plan(
        actions=(
            Action(ActionKind.COPY, "docs", is_dir=True),
            Action(ActionKind.COPY, "docs/a.pdf", 300),
            Action(ActionKind.REPLACE, "docs/b.pdf", 200),
            Action(ActionKind.DELETE, "old.txt", 50),
        ),
        notes=(
            Action(
                ActionKind.EXPORT,
                "Projects/Tower.rvt",
                detail=(
                    ("status", "skipped"),
                    ("reason", "last edited 40 h ago, outside the 24 h window"),
                    ("last_edit", "2026-11-25 07:00"),
                ),
            ),
        ),
    )
    tree = preview_tree(plan)
    assert tree.root.counts[PLANNED] == 4 and tree.root.counts[SKIPPED] == 1
    assert tree.root.total == 500  # deletions free space; they are not counted as transfer
    model = ProgressModel()
    model.reset(tree)
    QAbstractItemModelTester(model)
    names = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert names == ["docs", "old.txt", "Projects"]
    projects = model.index(2, 0)
    model.fetchMore(projects)
    tower = model.index(0, 0, projects)
    assert tower.siblingAtColumn(STATE).data() == "skipped"
    details = tower.siblingAtColumn(5).data()
    assert "outside the 24 h window" in details and "last edit: 2026-11-25 07:00" in details
    assert model.index(1, 0).siblingAtColumn(1).data() == "delete"


def test_children_are_lazy_until_the_folder_is_opened(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = ProgressModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    view = QTreeView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.show()
    model.apply([_finished(f"big/f{i}.txt") for i in range(500)] + [_finished("top.txt")])
    big = model.index(0, 0)
    assert model.rowCount() == 2
    assert model.hasChildren(big) and model.rowCount(big) == 1  # one row: enough for an arrow
    assert model.canFetchMore(big)
    view.expand(big)  # the view asks for the rest when the user opens the folder
    qtbot.waitUntil(lambda: model.rowCount(big) == 500)
    model.apply([_finished(f"big/g{i}.txt") for i in range(100)])  # an open folder grows live
    assert model.rowCount(big) == 600
    assert big.siblingAtColumn(STATE).data() == "600 done"
    assert big.siblingAtColumn(PROGRESS).data() == ""  # all done: the state says so, no bar
    model.apply([ItemStarted("big/huge.bin", "copy", 60_000), ItemProgress("big/huge.bin", 30_000, 60_000)])
    assert big.siblingAtColumn(PROGRESS).data() == "75 %"  # a folder with work to come shows how far
    assert big.siblingAtColumn(SIZE).data() == "120.0 KB"


def test_a_folder_reported_before_its_files_becomes_a_folder(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = ProgressModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.apply([_finished("docs", size=0)])
    docs = model.index(0, 0)
    assert not model.hasChildren(docs)
    model.apply([_finished("docs/a.txt"), _finished("docs/sub/b.txt")])
    assert model.hasChildren(docs) and model.rowCount(docs) == 1
    model.fetchMore(docs)
    assert model.rowCount(docs) == 2
    assert docs.siblingAtColumn(STATE).data() == "3 done"


def test_running_items_show_bytes_and_percent(qapp) -> None:  # type: ignore[no-untyped-def]
    model = ProgressModel()
    model.apply(
        [ItemStarted("movie.mov", "copy", 4_000_000), ItemProgress("movie.mov", 1_000_000, 4_000_000)]
    )
    movie = model.index(0, 0)
    assert movie.siblingAtColumn(STATE).data() == "running"
    assert movie.siblingAtColumn(PROGRESS).data() == "25 %"
    assert movie.siblingAtColumn(SIZE).data() == "4.0 MB"


def test_a_hundred_thousand_items_in_batches_stay_cheap(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = ProgressModel()
    view = QTreeView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.show()
    events = [_finished(f"d{i // 1000}/s{(i // 100) % 10}/f{i}.txt") for i in range(100_000)]
    started = time.perf_counter()
    for first in range(0, len(events), 2000):
        model.apply(events[first : first + 2000])
        view.expand(model.index(0, 0))
    seconds = time.perf_counter() - started
    assert model.rowCount() == 100 and model.tree.root.counts[DONE] == 100_000
    qtbot.waitUntil(lambda: model.rowCount(model.index(0, 0)) == 10)
    print(f"100,000 items in 50 batches: {seconds:.2f} s")
    assert seconds < 20  # generous: only catches a per-item signal or a quadratic walk
