"""The live log: records from any thread reach the view, filtered by level and text, capped."""

from __future__ import annotations

import logging
import threading

import pytest

import gui.log_view as log_view
from gui.log_view import LogBuffer, LogView


@pytest.fixture
def logger() -> logging.Logger:
    return logging.getLogger("rearguard.test-log-view")


def test_records_from_threads_are_shown_by_level_and_text(qtbot, logger: logging.Logger) -> None:  # type: ignore[no-untyped-def]
    buffer = LogBuffer()
    logger.addHandler(buffer)
    logger.setLevel(logging.DEBUG)
    try:
        view = LogView(buffer)
        qtbot.addWidget(view)
        workers = [threading.Thread(target=lambda n=n: logger.info("copied file %d", n)) for n in range(8)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        logger.warning("replica is nearly full")
        logger.error("permission denied: a.txt")
        qtbot.waitUntil(lambda: "permission denied" in view.plain_text())
        text = view.plain_text()
        assert text.count("copied file") == 8 and "WARNING  replica is nearly full" in text
        view.level.setCurrentIndex(2)  # warnings and errors
        assert "copied file" not in view.plain_text() and "nearly full" in view.plain_text()
        view.filter.setText("PERMISSION")
        assert view.plain_text().strip().endswith("permission denied: a.txt")
        assert view.text.document().blockCount() == 1
    finally:
        logger.removeHandler(buffer)


def test_a_flood_is_capped(qtbot, logger: logging.Logger, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(log_view, "MAX_LINES", 100)
    buffer = LogBuffer()
    logger.addHandler(buffer)
    logger.setLevel(logging.INFO)
    try:
        view = LogView(buffer)
        view.text.setMaximumBlockCount(100)
        qtbot.addWidget(view)
        for n in range(1000):
            logger.info("line %d", n)
        view.pull()
        assert view.text.document().blockCount() == 100
        assert view.plain_text().splitlines()[-1].endswith("line 999")
    finally:
        logger.removeHandler(buffer)
