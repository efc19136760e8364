"""Issue 18.1: the Log tab is the selected profile's log from disk — today's file and earlier days,
lines appended live while a run writes, level and text filters, an empty state naming the folder,
secrets masked, and a 50 MB file that opens at once (its newest part first)."""

from __future__ import annotations

import logging
import re
import time
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import Qt

from engine.core.folders import Folders
from engine.core.logs import attach_daily_log, log_file_for
from engine.core.profiles import profile_path, read_profile
from engine.core.runner import run_profile
from gui.log_files import TAIL_BYTES
from gui.log_view import LogView
from gui.main_window import MainWindow
from tests.gui.clicks import click_tab

LINE = "2026-11-28 02:00:0{n},100 {level:<7} {text}"


def _open_log(qtbot, window: MainWindow, name: str) -> LogView:  # type: ignore[no-untyped-def]
    window.refresh_profiles(select=name)
    click_tab(qtbot, window.tabs, "Log")
    view = window.log_view
    assert window.tabs.currentWidget() is view
    qtbot.waitUntil(lambda: not view.pending and not view.queue, timeout=5000)
    return view


def _choose(qtbot, view: LogView, words: str) -> None:  # type: ignore[no-untyped-def]
    number = next(n for n in range(view.day.count()) if words in view.day.itemText(n))
    view.day.setCurrentIndex(number)  # what choosing it in the drop-down does
    qtbot.waitUntil(lambda: not view.pending and not view.queue, timeout=5000)


def test_a_command_line_run_is_in_the_profiles_log_with_filters_and_earlier_days(
    qtbot, window: MainWindow, folders: Folders, mirror_profile, make_files, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    make_files(tmp_path / "src", 5)
    (tmp_path / "dst").mkdir()
    mirror_profile("Docs", tmp_path / "src", tmp_path / "dst")
    mirror_profile("Other", tmp_path / "src2", tmp_path / "dst2")
    run_profile(read_profile(profile_path(folders, "Docs")), folders, trigger="cli")  # another process
    logs = folders.profile_logs("Docs")
    yesterday = date.today() - timedelta(days=1)
    log_file_for(logs, yesterday).write_text(
        LINE.format(n=1, level="INFO", text="yesterday's run started")
        + "\n"
        + LINE.format(n=2, level="ERROR", text="yesterday: permission denied: a.txt")
        + "\nTraceback (most recent call last):\n  PermissionError: a.txt\n",
        encoding="utf-8",
    )

    view = _open_log(qtbot, window, "Docs")
    assert view.day.currentText().startswith("Today")
    assert "run of 'Docs' (mirror) started" in view.plain_text()
    assert "6 done, 0 skipped, 0 failed of 6 looked at" in view.plain_text()  # 5 files, 1 folder

    # Earlier days are in the picker; a traceback's lines keep their record's level.
    _choose(qtbot, view, "Yesterday")
    assert "yesterday's run started" in view.plain_text()
    view.level.setCurrentIndex(view.level.findText("Errors only"))
    assert "yesterday's run started" not in view.plain_text()
    assert "permission denied" in view.plain_text() and "PermissionError: a.txt" in view.plain_text()
    qtbot.keyClicks(view.filter, "TRACEBACK")
    assert view.plain_text().strip() == "Traceback (most recent call last):"

    # Another profile shows its own log: none yet, and the empty state says where the files go.
    view.filter.clear()
    view = _open_log(qtbot, window, "Other")
    assert view.stack.currentWidget() is view.empty and view.empty.isVisible()
    assert str(folders.profile_logs("Other")) in view.empty.text()
    assert "LOG-YYYY-MM-DD.txt" in view.empty.text()


def test_lines_appear_while_a_run_writes_them(
    qtbot, window: MainWindow, folders: Folders, mirror_profile, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    mirror_profile("Docs", tmp_path / "src", tmp_path / "dst")
    view = _open_log(qtbot, window, "Docs")
    assert view.stack.currentWidget() is view.empty  # nothing yet
    log = logging.getLogger("rearguard.test-live")
    with attach_daily_log(folders.profile_logs("Docs")):  # as a scheduled run in another process
        log.info("copying folder000/f00001.txt")
        qtbot.waitUntil(lambda: "copying folder000/f00001.txt" in view.plain_text(), timeout=5000)
        log.warning("replica nearly full")
        qtbot.waitUntil(lambda: "replica nearly full" in view.plain_text(), timeout=5000)
    assert view.stack.currentWidget() is view.text and "live" in view.about.text()


def test_secrets_in_a_log_file_are_masked_on_screen(
    qtbot, window: MainWindow, folders: Folders, mirror_profile, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    mirror_profile("Docs", tmp_path / "src", tmp_path / "dst")
    logs = folders.profile_logs("Docs")
    logs.mkdir(parents=True)
    log_file_for(logs, date.today()).write_text(
        LINE.format(n=1, level="ERROR", text="login refused for pass hunter2-secret")
        + "\n"
        + LINE.format(n=2, level="INFO", text="posting to https://bob:pw123@example.org/hook")
        + "\n",
        encoding="utf-8",
    )
    window.log_buffer.learn(["hunter2-secret"])  # what a run's run_secrets tells the window
    view = _open_log(qtbot, window, "Docs")
    shown = view.plain_text()
    assert "hunter2-secret" not in shown and "login refused for pass ***" in shown
    assert "pw123" not in shown and "bob:***@example.org" in shown


def test_a_50_mb_log_opens_at_once_newest_lines_first(
    qtbot, window: MainWindow, folders: Folders, mirror_profile, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    mirror_profile("Docs", tmp_path / "src", tmp_path / "dst")
    logs = folders.profile_logs("Docs")
    logs.mkdir(parents=True)
    line = LINE.format(n=3, level="INFO", text="copied a file with a fairly long name " + "x" * 40)
    block = (line + "\n").encode() * 10_000
    path = log_file_for(logs, date.today())
    with open(path, "wb") as handle:
        while handle.tell() < 50 * 1024 * 1024:
            handle.write(block)
        handle.write(LINE.format(n=4, level="ERROR", text="THE LAST LINE").encode() + b"\n")
    window.refresh_profiles(select="Docs")

    started = time.perf_counter()
    click_tab(qtbot, window.tabs, "Log")
    clicked = time.perf_counter() - started
    view = window.log_view
    qtbot.waitUntil(lambda: "THE LAST LINE" in view.plain_text(), timeout=5000)
    opened = time.perf_counter() - started
    assert clicked < 0.25 and opened < 3.0, (clicked, opened)
    assert re.search(r"· 5\d\.\d MB ·", view.about.text())
    assert "newest" in view.about.text() and view.earlier.isVisible()
    shown = view.text.document().blockCount()
    assert shown <= TAIL_BYTES // len(line) + 2  # only the tail was read

    qtbot.mouseClick(view.earlier, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.pending and not view.queue, timeout=5000)
    assert view.text.document().blockCount() > shown * 2  # 2 MB more, before what was shown
    assert view.plain_text().endswith("THE LAST LINE")
