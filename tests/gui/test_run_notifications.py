"""Runs from the window tell the channels (a webhook and a health-check ping on a real HTTP receiver
on 127.0.0.1), a preview tells nobody, a broken notification never breaks a run; the app's start
sends what waited; and the Log tab masks every secret the profile's run knows."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import gui.run_worker as run_worker
from engine.core.folders import Folders
from engine.core.profile_store import save_profile
from engine.core.profiles import MirrorProfile, RcloneProfile
from engine.core.report import RunReport
from engine.core.state import StateDB
from engine.notify import outbox
from engine.notify.message import run_message
from gui.app import at_start
from gui.log_view import LogBuffer, LogView
from gui.main_window import MainWindow
from tests.fakes.http_receiver import Receiver

TOKEN = "hookT0ken4b9e1f02"
RCLONE_PASS = "rclone-Pw-8d1c6a"
PING = "/ping/0b7c9e52-3f1a-4d7e-9a55-2c3b4d5e6f70"


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


def setup_profile(folders: Folders, hook: Receiver, tmp_path: Path, when: str = "always") -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.txt").write_text("hello", encoding="utf-8")
    spec = MirrorProfile.model_validate(
        {
            "kind": "mirror",
            "mirror": {"source": str(source), "replica": str(tmp_path / "rep")},
            "notify": {"ping": hook.url(PING)},
        }
    )
    save_profile(folders, "Docs", spec)
    folders.notifications.write_text(
        f'[webhook]\nurl = "{hook.url("/hooks/" + TOKEN)}"\nformat = "json"\nwhen = "{when}"\n',
        encoding="utf-8",
    )


def run(qtbot, window: MainWindow, **how: bool) -> run_worker.RunResult:  # type: ignore[no-untyped-def]
    window.refresh_profiles(select="Docs")
    session = window.start_run("Docs", **how)
    assert session is not None
    qtbot.waitUntil(lambda: not session.running, timeout=30000)
    assert session.result is not None
    return session.result


def test_a_run_from_the_window_pings_and_posts_the_webhook_a_preview_tells_nobody(
    qtbot, window: MainWindow, folders: Folders, hook: Receiver, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    setup_profile(folders, hook, tmp_path)
    assert run(qtbot, window, dry_run=True).status == "ok"
    assert hook.requests == []  # a preview is not a run
    result = run(qtbot, window)
    assert result.status == "ok"
    first, *after = hook.paths()
    assert first == f"{PING}/start" and sorted(after) == sorted([f"/hooks/{TOKEN}", PING])
    (message,) = [r for r in hook.requests if r.path.startswith("/hooks/")]
    posted = json.loads(message.body)
    assert posted["profile"] == "Docs" and posted["status"] == "ok"
    assert result.outcome is not None and result.outcome.report is not None
    assert posted["started"] == result.outcome.report.as_json()["started"]
    del hook.requests[:]
    verify = run(qtbot, window, verify=True)
    assert verify.status == "ok"
    assert hook.paths() == [f"/hooks/{TOKEN}"]  # no start ping; a good verify pings nobody
    assert json.loads(hook.requests[0].body)["profile"] == "Docs"


def test_a_notification_that_breaks_never_breaks_the_run(
    qtbot,
    window: MainWindow,
    folders: Folders,
    hook: Receiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    setup_profile(folders, hook, tmp_path)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in the channels")

    monkeypatch.setattr(run_worker, "notify_run_started", broken)
    monkeypatch.setattr(run_worker, "notify_run_finished", broken)
    result = run(qtbot, window)
    assert result.status == "ok" and result.error is None
    assert (tmp_path / "rep" / "a.txt").read_text(encoding="utf-8") == "hello"
    window.log_view.show_window_messages()  # the window's own messages, not the profile's file
    qtbot.waitUntil(lambda: "notifications for 'Docs' stopped" in window.log_view.plain_text())


def test_the_log_tab_masks_the_run_secrets_tokens_and_tracebacks(
    qtbot, window: MainWindow, folders: Folders, hook: Receiver, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    setup_profile(folders, hook, tmp_path, when="never")
    assert run(qtbot, window).status == "ok"
    log = logging.getLogger("rearguard.notify")
    url = hook.url(f"/hooks/{TOKEN}")

    def leak() -> None:  # what a careless message from any thread could say
        log.warning("posting to %s failed", url)
        try:
            raise ConnectionError(f"token {TOKEN} refused")
        except ConnectionError:
            log.exception("webhook stopped")

    worker = threading.Thread(target=leak)
    worker.start()
    worker.join()
    window.log_view.show_window_messages()  # the window's own messages, not the profile's file
    qtbot.waitUntil(lambda: "webhook stopped" in window.log_view.plain_text())
    shown = window.log_view.plain_text()
    assert TOKEN not in shown and "posting to *** failed" in shown and "ConnectionError: token ***" in shown
    window.log_view.filter.setText("stopped")  # re-filtering shows only what was kept: masked
    assert TOKEN not in window.log_view.plain_text()


def test_the_app_start_learns_every_profile_secret_and_sends_what_waited(
    qtbot, folders: Folders, hook: Receiver, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    conf = tmp_path / "rclone.conf"
    conf.write_text(f"[offsite]\ntype = sftp\nhost = nas\npass = {RCLONE_PASS}\n", encoding="utf-8")
    spec = RcloneProfile.model_validate(
        {"kind": "rclone", "rclone": {"source": str(tmp_path), "remote": "offsite:b", "config": str(conf)}}
    )
    save_profile(folders, "Offsite", spec)
    folders.notifications.write_text(f'[webhook]\nurl = "{hook.url("/hooks/" + TOKEN)}"\n', encoding="utf-8")
    now = datetime.now(UTC)
    report = RunReport("Offsite", "rclone", now)
    report.status, report.finished = "failed", now
    db = StateDB(folders.state_db)
    try:
        outbox.enqueue(db, "webhook", "run:7", run_message(report, None).as_json(), now, "Offsite")
    finally:
        db.close()
    buffer = LogBuffer()
    logger = logging.getLogger("rearguard.test-app-start")
    logger.addHandler(buffer)
    try:
        view = LogView(buffer)
        qtbot.addWidget(view)
        at_start(folders, buffer.learn)
        assert [json.loads(r.body)["profile"] for r in hook.requests] == ["Offsite"]
        logger.error("rclone said: Failed to log in with pass %s", RCLONE_PASS)
        qtbot.waitUntil(lambda: "Failed to log in" in view.plain_text())
        assert RCLONE_PASS not in view.plain_text()
    finally:
        logger.removeHandler(buffer)
