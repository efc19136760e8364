"""The Notifications dialog, opened from the Run menu and clicked through: inline validation, Send
test against real servers on 127.0.0.1 (aiosmtpd with AUTH, an HTTP receiver) and a closed port,
the SMTP password into the keyring and never into the file, and the outbox when it is not empty."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.fail import Keyring as NoKeyring
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QSystemTrayIcon

from engine.core.folders import Folders
from engine.core.report import RunReport
from engine.core.state import StateDB
from engine.notify import outbox
from engine.notify.mail import KEYRING_SERVICE
from engine.notify.message import run_message
from engine.notify.settings import load_notifications
from gui import tray
from gui.main_window import MainWindow
from gui.notify_dialog import NotificationsDialog
from tests.fakes.http_receiver import Receiver
from tests.fakes.keyring_backend import ENV, FileKeyring
from tests.fakes.smtp_server import QUIET, SmtpServer, closed_port

pytestmark = pytest.mark.filterwarnings(QUIET)

PASSWORD = "smtp-pAsS-7c2e9"
TOKEN = "T0KEN9f3b1c7d2e8a"


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FileKeyring]:
    monkeypatch.setenv(ENV, str(tmp_path / "keyring.json"))
    before: KeyringBackend = keyring.get_keyring()
    backend = FileKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)


def open_dialog(qtbot, window: MainWindow) -> NotificationsDialog:  # type: ignore[no-untyped-def]
    window.notifications_action.trigger()  # Run → Notifications…
    dialog = window.notifications_dialog
    assert isinstance(dialog, NotificationsDialog) and dialog.isVisible()
    qtbot.waitUntil(lambda: not dialog.busy)  # the outbox was read
    return dialog


def type_into(dialog: NotificationsDialog, section: str, key: str, text: str) -> None:
    widget = dialog.form.field(section, key).widget
    if isinstance(widget, QPlainTextEdit):
        widget.setPlainText(text)
    else:
        assert isinstance(widget, QLineEdit)
        widget.setText(text)
    dialog.validate()


def fill_email(dialog: NotificationsDialog, server: str, password: str = PASSWORD) -> None:
    dialog.form.groups["email"].setChecked(True)
    type_into(dialog, "email", "server", server)
    dialog.form.field("email", "security").widget.setCurrentText("none")  # type: ignore[attr-defined]
    type_into(dialog, "email", "user", "rg")
    type_into(dialog, "email", "from", "backup@example.com")
    type_into(dialog, "email", "to", "it@example.com")
    assert dialog.form.password.isEnabled()
    dialog.form.password.setText(password)
    dialog.validate()


def test_the_tray_menu_opens_the_same_dialog_once(
    qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    icon = tray.install(window)
    assert icon is not None
    (entry,) = [a for a in icon.menu.actions() if a.text() == "&Notifications…"]
    window.hide()
    entry.trigger()
    dialog = window.notifications_dialog
    assert isinstance(dialog, NotificationsDialog) and dialog.isVisible()
    entry.trigger()
    assert window.notifications_dialog is dialog  # raised, not opened twice
    icon.icon.hide()


def test_every_problem_is_shown_beside_its_field_and_blocks_save(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot, window)
    assert dialog.form.password_note.text() and dialog.outbox_group.isHidden()
    dialog.form.groups["email"].setChecked(True)
    dialog.form.groups["metrics"].setChecked(True)
    type_into(dialog, "email", "server", "smtp.example.com")
    type_into(dialog, "metrics", "textfile", "relative.prom")
    server, textfile = dialog.form.field("email", "server"), dialog.form.field("metrics", "textfile")
    assert server.error.isVisibleTo(dialog) and "host:port" in server.error.text()
    assert "absolute path" in textfile.error.text()
    assert "e-mail address" in dialog.form.field("email", "from").error.text()
    assert not dialog.save_button.isEnabled() and "problems to fix" in dialog.status.text()
    type_into(dialog, "email", "server", "smtp.example.com:587")
    type_into(dialog, "email", "from", "backup@example.com")
    type_into(dialog, "email", "to", "it@example.com")
    type_into(dialog, "metrics", "textfile", str(Path("/var/lib/node-exporter/rearguard.prom")))
    assert not server.error.isVisibleTo(dialog) and dialog.problems == []
    assert dialog.save_button.isEnabled()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    settings = load_notifications(window.folders)
    assert settings.email is not None and settings.email.server == "smtp.example.com:587"
    assert settings.metrics is not None and settings.webhook is None


def test_send_test_mails_with_the_typed_password_and_save_keeps_it_in_the_keyring_only(
    qtbot, window: MainWindow, folders: Folders, file_keyring: FileKeyring, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot, window)
    with SmtpServer("rg", PASSWORD) as smtp:
        fill_email(dialog, smtp.server)
        qtbot.mouseClick(dialog.form.test_buttons["email"], Qt.MouseButton.LeftButton)
        result = dialog.form.test_results["email"]
        qtbot.waitUntil(lambda: result.text().startswith(("✓", "✗")), timeout=15000)
        assert result.text().startswith("✓ Test message sent"), result.text()
        (got,) = smtp.received
        assert got.login == "rg" and got.email["Subject"] == "[Rearguard] Rearguard test message"
    dialog.grab().save(os.environ.get("REARGUARD_SHOT", str(tmp_path / "notifications.png")))
    assert file_keyring.get_password(KEYRING_SERVICE, "rg@127.0.0.1") is None  # not saved yet
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.notifications_dialog is None)  # closed (and deleted)
    assert file_keyring.get_password(KEYRING_SERVICE, "rg@127.0.0.1") == PASSWORD
    text = folders.notifications.read_text(encoding="utf-8")
    assert PASSWORD not in text and 'password = "keyring"' in text and 'from = "backup@example.com"' in text
    again = open_dialog(qtbot, window)  # the password is never shown back
    assert again.form.password.text() == "" and again.form.field("email", "user").value() == "rg"
    assert again.form.password.echoMode() == QLineEdit.EchoMode.Password


def test_an_unreachable_server_shows_the_error_and_no_secret(
    qtbot, window: MainWindow, file_keyring: FileKeyring
) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot, window)
    fill_email(dialog, f"127.0.0.1:{closed_port()}")
    dialog.form.groups["webhook"].setChecked(True)
    type_into(dialog, "webhook", "url", f"http://127.0.0.1:{closed_port()}/hooks/{TOKEN}")
    for channel in ("email", "webhook"):
        qtbot.mouseClick(dialog.form.test_buttons[channel], Qt.MouseButton.LeftButton)
    results = dialog.form.test_results
    qtbot.waitUntil(lambda: all(results[c].text().startswith(("✓", "✗")) for c in results), timeout=20000)
    for channel in ("email", "webhook"):
        text = results[channel].text()
        assert text.startswith("✗ Not sent:") and "refused" in text.lower(), text
        assert TOKEN not in text and PASSWORD not in text
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: not dialog.busy)


def test_send_test_posts_the_webhook_and_a_typed_password_without_keyring_is_not_saved(
    qtbot, window: MainWindow, folders: Folders
) -> None:  # type: ignore[no-untyped-def]
    before: KeyringBackend = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        dialog = open_dialog(qtbot, window)
        with Receiver() as hook:
            dialog.form.groups["webhook"].setChecked(True)
            type_into(dialog, "webhook", "url", hook.url(f"/hooks/{TOKEN}"))
            qtbot.mouseClick(dialog.form.test_buttons["webhook"], Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: dialog.form.test_results["webhook"].text().startswith("✓"), timeout=15000)
            (request,) = hook.requests
            assert request.path == f"/hooks/{TOKEN}"
            url = dialog.form.field("webhook", "url").widget
            assert isinstance(url, QLineEdit) and not url.hasFocus() and TOKEN not in url.displayText()
            assert json.loads(request.body)["status"] == "test"
        fill_email(dialog, "smtp.example.com:587")
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.form.password_error.isVisibleTo(dialog))
        assert "env:NAME" in dialog.form.password_error.text()
        assert "Nothing was saved" in dialog.status.text() and dialog.isVisible()
        assert not folders.notifications.exists()
        type_into(dialog, "email", "password", "env:SMTP_PASSWORD")  # the way without a keyring
        assert not dialog.form.password.isEnabled() and dialog.form.typed_password() is None
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.notifications_dialog is None)
        settings = load_notifications(folders)
        assert settings.email is not None and settings.email.password_env == "SMTP_PASSWORD"
        assert settings.webhook is not None and settings.webhook.url.endswith(TOKEN)
    finally:
        keyring.set_keyring(before)


def test_the_outbox_is_shown_when_something_waits_and_send_test_empties_it(
    qtbot, window: MainWindow, folders: Folders
) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    report = RunReport("Projects", "mirror", now)
    report.status, report.finished = "failed", now
    message = run_message(report, "/logs/LOG.txt").as_json()
    db = StateDB(folders.state_db)
    try:
        outbox.enqueue(db, "webhook", "run:1", message, now, "Projects")
        (row,) = outbox.claim(db, "webhook", "t", now)
        outbox.release(db, [row.id], "connection refused", tried=[row.id])
    finally:
        db.close()
    dialog = open_dialog(qtbot, window)
    assert dialog.outbox_group.isVisibleTo(dialog) and dialog.outbox_table.rowCount() == 1
    cells = [dialog.outbox_table.item(0, c).text() for c in range(5)]
    assert cells[0] == "Webhook" and cells[1] == "Projects" and cells[2].startswith("today")
    assert cells[3:] == ["1", "connection refused"]
    assert "(1)" in dialog.outbox_group.title()
    with Receiver() as hook:
        dialog.form.groups["webhook"].setChecked(True)
        type_into(dialog, "webhook", "url", hook.url("/hooks/outbox"))
        dialog.form.test_buttons["webhook"].click()
        result = dialog.form.test_results["webhook"]
        qtbot.waitUntil(lambda: result.text().startswith("✓"), timeout=15000)
        assert "1 waiting message went out too" in result.text()
        assert len(hook.requests) == 2  # the test, then what waited
    qtbot.waitUntil(lambda: not dialog.busy and dialog.outbox_group.isHidden())
    dialog.buttons.button(dialog.buttons.StandardButton.Cancel).click()
    assert not dialog.isVisible() and not folders.notifications.exists()  # Cancel writes nothing
