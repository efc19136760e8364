"""The Notifications dialog (app settings): every field of ``notifications.toml`` validated as you
type by the engine's ``notification_problems``, the SMTP password stored in the OS keyring (never in
the file, never shown back), "Send test" per channel with its result, and the outbox when something
waits in it.

Whatever may wait on the network, the keyring or the state database (a test message, storing the
password, reading the outbox) runs in a worker thread; a timer on the GUI thread picks up the result.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.core.errors import ProfileError
from engine.core.folders import Folders
from engine.core.state import StateDB
from engine.notify import outbox
from engine.notify.channel_check import send_test
from engine.notify.delivery import ChannelResult
from engine.notify.mail import store_password
from engine.notify.secrets import password_forms, url_secrets
from engine.notify.settings import (
    NotificationSettings,
    load_notifications,
    notification_problems,
    save_notifications,
)
from engine.tools.redact import redact
from gui.kind_form import show_banner
from gui.notify_form import NotifyForm
from gui.when import describe, parse_stamp

POLL_MS = 100
VALIDATE_DELAY_MS = 150
CHANNEL_WORDS = {"email": "E-mail", "webhook": "Webhook", "ping": "Health check"}
OUTBOX_COLUMNS = ("Channel", "Profile", "Created", "Attempts", "Last error")


def read_outbox(folders: Folders) -> list[outbox.OutboxRow]:
    """What waits to be sent, oldest first (a worker thread reads it)."""
    db = StateDB(folders.state_db)
    try:
        return outbox.waiting(db)
    finally:
        db.close()


def describe_result(result: ChannelResult) -> str:
    """One line on what a test did: reached or not, what else went or still waits."""
    took = f"{result.seconds:.1f} s"
    if result.ok:
        text = f"✓ Test message sent ({took})"
        if result.sent:
            text += f"; {result.sent} waiting message{'s' * (result.sent != 1)} went out too"
        return text
    text = f"✗ Not sent: {result.error or 'no answer'} ({took})"
    if result.waiting:
        text += f"; {result.waiting} message{'s' * (result.waiting != 1)} still wait in the outbox"
    return text


class NotificationsDialog(QDialog):
    def __init__(self, folders: Folders, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folders = folders
        self.setWindowTitle("Notifications")
        self.resize(760, 760)
        self.pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="notify-dialog")
        self.pending: list[tuple[Future[Any], Callable[[Any], None], Callable[[BaseException], None]]] = []
        self.poll = QTimer(self)
        self.poll.setInterval(POLL_MS)
        self.poll.timeout.connect(self._poll)
        self.file_problems: list[str] = []
        self.problems: list[str] = []
        self.baseline: dict[str, Any] = {}
        self.saving = False
        self.form = NotifyForm()
        self.form.changed.connect(self._schedule_validation)
        self.form.test_requested.connect(self.send_test)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(VALIDATE_DELAY_MS)
        self.timer.timeout.connect(self.validate)
        self._build()
        self.load()
        self.refresh_outbox()

    # -- building ---------------------------------------------------------------------------------

    def _build(self) -> None:
        intro = QLabel(
            "Who hears about runs when nobody looks at the screen. Every channel is optional. A "
            "channel that is down never changes a run: its messages wait in the outbox and go out "
            "with the next run, the app's next start or a test."
            f"<br>Saved to <i>{self.folders.notifications}</i>"
        )
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setObjectName("problemBanner")
        self.banner.setStyleSheet(
            "#problemBanner { border: 1px solid #d9822b; border-radius: 4px;"
            " padding: 6px; background: rgba(217,130,43,0.12); }"
        )
        self.banner.hide()
        self.outbox_group = QGroupBox("Waiting in the outbox")
        self.outbox_table = QTableWidget(0, len(OUTBOX_COLUMNS))
        self.outbox_table.setHorizontalHeaderLabels(list(OUTBOX_COLUMNS))
        self.outbox_table.setAccessibleName("Messages waiting in the outbox")
        self.outbox_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.outbox_table.verticalHeader().hide()
        self.outbox_table.horizontalHeader().setSectionResizeMode(
            len(OUTBOX_COLUMNS) - 1, QHeaderView.ResizeMode.Stretch
        )
        self.outbox_table.setMinimumHeight(120)
        note = QLabel("They go out with the next run of any profile, the app's next start, or Send test.")
        note.setWordWrap(True)
        box = QVBoxLayout(self.outbox_group)
        box.addWidget(note)
        box.addWidget(self.outbox_table)
        self.outbox_group.hide()
        inner = QWidget()
        inner_box = QVBoxLayout(inner)
        inner_box.addWidget(self.banner)
        inner_box.addWidget(self.form)
        inner_box.addWidget(self.outbox_group)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(inner)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setToolTip("Write notifications.toml (and store a typed password in the keyring)")
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    # -- the file ---------------------------------------------------------------------------------

    def load(self) -> None:
        """Show ``notifications.toml``; a broken one shows what could be read, and its problems."""
        data: dict[str, Any] = {}
        self.file_problems = []
        try:
            settings = load_notifications(self.folders)
            data = settings.model_dump(by_alias=True, exclude_none=True)
        except ProfileError as error:
            self.file_problems = list(error.problems)
            try:
                data = tomllib.loads(self.folders.notifications.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
                data = {}
        self.form.load(data)
        self.baseline = self.form.values()
        self.validate()

    @property
    def is_dirty(self) -> bool:
        return self.form.values() != self.baseline or bool(self.form.typed_password())

    def _schedule_validation(self) -> None:
        self.timer.start()
        self._update_buttons()

    def validate(self) -> list[str]:
        """Check the form with the engine's rules; show each problem beside its field."""
        self.timer.stop()
        self.problems = notification_problems(self.form.values())
        loose = self.form.show_problems(self.problems)
        show_banner(self.banner, "notifications.toml", self.file_problems, loose)
        self._update_buttons()
        return self.problems

    def _update_buttons(self) -> None:
        self.save_button.setEnabled(not self.problems and not self.saving)
        if self.saving:
            self.status.setText("Saving…")
        elif self.problems:
            count = len(self.problems)
            self.status.setText(f"⚠ {count} problem{'s' if count > 1 else ''} to fix before saving")
        elif self.is_dirty or self.file_problems:
            self.status.setText("Unsaved changes")
        else:
            self.status.setText("")

    def save(self) -> None:
        """Store a typed password in the keyring (a worker thread), then write the file and close."""
        if self.saving or self.validate():
            return
        settings = NotificationSettings.model_validate(self.form.values())
        password = self.form.typed_password()
        if password is None or settings.email is None:
            self._write(settings)
            return
        self.saving = True
        self.form.set_password_error(None)
        self._update_buttons()
        email = settings.email
        self._in_background(
            lambda: store_password(email, password),
            lambda _where: self._write(settings),
            self._password_not_stored,
        )

    def _password_not_stored(self, error: BaseException) -> None:
        self.saving = False
        self.form.set_password_error(str(error))
        self._update_buttons()
        self.status.setText("⚠ Nothing was saved: the password could not be stored")

    def _write(self, settings: NotificationSettings) -> None:
        self.saving = False
        try:
            save_notifications(self.folders, settings)
        except OSError as error:
            self._update_buttons()
            self.status.setText(f"⚠ Could not save {self.folders.notifications}: {error.strerror or error}")
            return
        self.form.password.clear()
        self.file_problems = []
        self.baseline = self.form.values()
        self.accept()

    # -- Send test --------------------------------------------------------------------------------

    def send_test(self, channel: str) -> None:
        """Send a test message through ``channel`` with what the form holds now."""
        label, button = self.form.test_results[channel], self.form.test_buttons[channel]
        values = self.form.values()
        problems = [p for p in notification_problems(values) if p.startswith(f"[{channel}]")]
        if problems or channel not in values:
            label.setText("⚠ Fix the problems above first")
            return
        settings = NotificationSettings.model_validate({channel: values[channel]})
        password = self.form.typed_password() if channel == "email" else None
        known = self._known_secrets()
        label.setText("Sending…")
        button.setEnabled(False)

        def done(results: list[ChannelResult]) -> None:
            button.setEnabled(True)
            label.setText(redact(describe_result(results[0]), known))
            self.refresh_outbox()

        def failed(error: BaseException) -> None:
            button.setEnabled(True)
            label.setText(redact(f"✗ {error}", known))

        folders = self.folders
        self._in_background(
            lambda: send_test(folders, [channel], settings=settings, password=password), done, failed
        )

    def _known_secrets(self) -> list[str]:
        """What the form holds that must never be shown: webhook tokens, the typed password."""
        found: list[str] = []
        url = self.form.field("webhook", "url").value()
        if isinstance(url, str):
            found += url_secrets(url)
        found += password_forms(self.form.password.text())
        return found

    # -- the outbox -------------------------------------------------------------------------------

    def refresh_outbox(self) -> None:
        folders = self.folders
        self._in_background(lambda: read_outbox(folders), self._show_outbox, lambda _error: None)

    def _show_outbox(self, rows: list[outbox.OutboxRow]) -> None:
        known = self._known_secrets()
        now = datetime.now().astimezone()
        table = self.outbox_table
        table.setRowCount(len(rows))
        for number, row in enumerate(rows):
            cells = (
                CHANNEL_WORDS.get(row.channel, row.channel),
                row.profile or "—",
                describe(parse_stamp(row.created), now, never=row.created),
                str(row.attempts),
                redact(row.last_error or "", known),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                table.setItem(number, column, item)
        table.resizeColumnsToContents()
        table.horizontalHeader().setSectionResizeMode(len(OUTBOX_COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.outbox_group.setTitle(f"Waiting in the outbox ({len(rows)})")
        self.outbox_group.setVisible(bool(rows))

    # -- background work --------------------------------------------------------------------------

    def _in_background(
        self, work: Callable[[], Any], then: Callable[[Any], None], failed: Callable[[BaseException], None]
    ) -> None:
        self.pending.append((self.pool.submit(work), then, failed))
        self.poll.start()

    def _poll(self) -> None:
        ready = [p for p in self.pending if p[0].done()]
        self.pending = [p for p in self.pending if all(p is not r for r in ready)]
        if not self.pending:
            self.poll.stop()
        for future, then, failed in ready:
            error = future.exception()
            if error is not None:
                failed(error)
            else:
                then(future.result())

    @property
    def busy(self) -> bool:
        return bool(self.pending)

    def done(self, result: int) -> None:  # closing: no new work; a test under way ends by itself
        self.poll.stop()
        self.timer.stop()
        self.pool.shutdown(wait=False)
        super().done(result)
