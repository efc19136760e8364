"""The form of the Notifications dialog: one checkable group per section of ``notifications.toml``
([email], [webhook], [metrics]), a field per key built from the engine's models, the SMTP
password (typed, never shown back), and a "Send test" button with its result per channel."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.core.schema import Section
from engine.notify.settings import SECTIONS, NotificationSettings
from gui.form_fields import FieldEditor, section_model
from gui.kind_form import show_problems

TITLES = {
    "email": "E-mail (SMTP)",
    "webhook": "Webhook (JSON, Slack, Teams or ntfy)",
    "metrics": "Prometheus metrics (node_exporter's textfile collector)",
}
TESTS = {"email": "Send a test e-mail", "webhook": "Send a test to the webhook"}
PASSWORD_HELP = (
    "Typed here, it goes to the OS keyring when you save (never to notifications.toml) and is never "
    "shown again; leave it empty to keep the stored one. Send test uses it before it is saved."
)
ERROR_STYLE = "color: #c62828;"


def _model(section: str) -> type[Section]:
    found = section_model(NotificationSettings.model_fields[section].annotation)
    assert found is not None
    return found


class NotifyForm(QWidget):
    """Every field of ``notifications.toml``; ``values()`` is what the file parses to."""

    changed = Signal()
    test_requested = Signal(str)  # channel

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields: dict[tuple[str | None, str], FieldEditor] = {}
        self.groups: dict[str, QGroupBox] = {}
        self.section_errors: dict[str, QLabel] = {}
        self.test_buttons: dict[str, QPushButton] = {}
        self.test_results: dict[str, QLabel] = {}
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("SMTP password")
        self.password.setToolTip(PASSWORD_HELP)
        self.password.textChanged.connect(self.changed)
        self.password_note = QLabel(PASSWORD_HELP)
        self.password_note.setWordWrap(True)
        muted = self.password_note.palette()
        muted.setColor(QPalette.ColorRole.WindowText, muted.color(QPalette.ColorRole.PlaceholderText))
        self.password_note.setPalette(muted)
        self.password_error = QLabel()
        self.password_error.setWordWrap(True)
        self.password_error.setStyleSheet(ERROR_STYLE)
        self.password_error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for section in SECTIONS:
            layout.addWidget(self._group(section))
        layout.addStretch(1)
        self.field("email", "user").changed.connect(self._password_state)
        self.field("email", "password").changed.connect(self._password_state)
        self.field("email", "password").label.setText("Password is in")
        url = self.field("webhook", "url")
        url.label.setText("URL *")
        if isinstance(url.widget, QLineEdit):  # its token is a password: shown only while edited
            url.widget.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
            url.help.setText(
                "where to POST; its token is a password: the address shows only while you edit it"
            )
        self._password_state()

    def _group(self, section: str) -> QGroupBox:
        group = QGroupBox(TITLES[section])
        group.setObjectName(f"section-{section}")
        group.setCheckable(True)
        group.setChecked(False)
        group.toggled.connect(self.changed)
        self.groups[section] = group
        box = QVBoxLayout(group)
        error = QLabel(group)
        error.setWordWrap(True)
        error.setStyleSheet(ERROR_STYLE)
        error.hide()
        box.addWidget(error)
        self.section_errors[section] = error
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for name, info in _model(section).model_fields.items():
            editor = FieldEditor(section, info.alias or name, info, group)
            editor.changed.connect(self.changed)
            form.addRow(editor.label, editor.container)
            self.fields[(section, editor.key)] = editor
            if (section, editor.key) == ("email", "password"):
                form.addRow(self._password_row(group))
        box.addLayout(form)
        if section in TESTS:
            box.addLayout(self._test_row(section))
        return group

    def _password_row(self, parent: QWidget) -> QWidget:
        holder = QWidget(parent)
        row = QFormLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        column = QVBoxLayout()
        column.setSpacing(2)
        column.addWidget(self.password)
        column.addWidget(self.password_note)
        column.addWidget(self.password_error)
        label = QLabel("Pass&word")
        label.setBuddy(self.password)
        label.setMinimumWidth(self.field("email", "password").label.minimumWidth())
        row.addRow(label, column)
        return holder

    def _test_row(self, channel: str) -> QHBoxLayout:
        button = QPushButton("Send &test" if channel == "email" else "Send t&est")
        button.setAccessibleName(TESTS[channel])
        button.setToolTip(f"{TESTS[channel]} with what the form holds now (saved or not)")
        button.clicked.connect(lambda: self.test_requested.emit(channel))
        result = QLabel()
        result.setWordWrap(True)
        result.setAccessibleName(f"{TESTS[channel]}: result")
        self.test_buttons[channel], self.test_results[channel] = button, result
        row = QHBoxLayout()
        row.addWidget(button)
        row.addWidget(result, 1)
        return row

    def field(self, section: str, key: str) -> FieldEditor:
        return self.fields[(section, key)]

    # -- the password -----------------------------------------------------------------------------

    @property
    def password_wanted(self) -> bool:
        """The password field matters: a login, with its password in the keyring."""
        where = self.field("email", "password").value()
        return bool(self.field("email", "user").value()) and where == "keyring"

    def typed_password(self) -> str | None:
        """The password typed for the keyring, or None (nothing typed, or none needed)."""
        return (self.password.text() or None) if self.password_wanted else None

    def _password_state(self) -> None:
        wanted = self.password_wanted
        self.password.setEnabled(wanted)
        if not wanted:
            self.password.clear()
        if not self.field("email", "user").value():
            self.password.setPlaceholderText("no login (User is empty)")
        elif not wanted:
            self.password.setPlaceholderText("read from the environment variable when a message goes out")
        else:
            self.password.setPlaceholderText("type to store a new one in the OS keyring")

    def set_password_error(self, message: str | None) -> None:
        self.password_error.setText("⚠ " + message if message else "")
        self.password_error.setVisible(bool(message))

    # -- values -----------------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """The form as the dict ``notifications.toml`` parses to (``notification_problems`` input)."""
        data: dict[str, Any] = {}
        for (section, key), editor in self.fields.items():
            if section is None or not self.groups[section].isChecked():
                continue
            section_data = data.setdefault(section, {})
            value = editor.value()
            if value is not None:
                section_data[key] = value
        return data

    def load(self, data: dict[str, Any]) -> None:
        """Show the file's data; keys it cannot show are left at their defaults."""
        blocked = self.blockSignals(True)
        try:
            for editor in self.fields.values():
                editor.reset()
            for section, group in self.groups.items():
                group.setChecked(isinstance(data.get(section), dict))
            for (section, key), editor in self.fields.items():
                holder = data.get(str(section))
                if isinstance(holder, dict) and key in holder:
                    editor.set_value(holder[key])
            self.password.clear()
            self.set_password_error(None)
            for label in self.test_results.values():
                label.clear()
        finally:
            self.blockSignals(blocked)
        self._password_state()

    def show_problems(self, problems: list[str]) -> list[str]:
        """Put each problem beside its field; return those that belong to no field."""
        return show_problems(self.fields, self.section_errors, problems)
