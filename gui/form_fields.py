"""Editor fields built from the engine's profile models (``engine.core.schema``): one widget per
key, its label, help text (the key's ``description``) and a place for its validation message."""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QFontMetrics, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.core.schema import Key, Section

# Keys that hold a local path, and which picker suits them. A field may say so itself with
# ``key(path="folder" | "file")``, which wins over this table.
PATH_KINDS = {
    "source": "folder",
    "replica": "folder",
    "target": "folder",
    "projects_dir": "folder",
    "remote": "folder",
    "model_table": "file",
    "tool": "file",
    "config": "file",
    "rclone": "file",
}
LABELS = {
    "max_runs": "Stop after (runs)",
    "every": "Every",
    "at": "First run at",
    "window": "Time window",
    "bwlimit": "Bandwidth limit",
}
_BIG = 1_000_000_000
LABEL_WIDTH = 130


def label_for(key: str) -> str:
    return LABELS.get(key) or key.replace("_", " ").capitalize()


def _bounds(info: Key) -> tuple[float | None, float | None]:
    return info.ge, info.le


def _is_optional(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    return origin in (typing.Union, types.UnionType) and type(None) in typing.get_args(annotation)


def _literal_words(annotation: Any) -> list[str] | None:
    """The words of a ``Literal[...]`` key (also ``Literal[...] | None``), or None for other types."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(candidate) is typing.Literal:
            return [str(choice) for choice in typing.get_args(candidate)]
    return None


def section_model(annotation: Any) -> type[Section] | None:
    """The section a profile key holds (``MirrorSettings``, ``Schedule | None``), if any."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, Section):
            return candidate
    return None


class FieldEditor(QObject):
    """One key of a profile: the widget, its value as the model wants it, and its message line."""

    changed = Signal()

    def __init__(self, section: str | None, key: str, info: Key, parent: QWidget) -> None:
        super().__init__(parent)
        self.section, self.key, self.info = section, key, info
        self.required = info.is_required()
        self.location = f"[{section}].{key}" if section else key
        annotation = info.annotation
        self.path_kind = (info.path or PATH_KINDS.get(key, "")) if annotation is str else ""
        self.optional = _is_optional(annotation)
        self.container = QWidget(parent)
        layout = QVBoxLayout(self.container)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.widget = self._make_widget(annotation)
        self.widget.setToolTip(f"{self.location} — {info.description or ''}".rstrip(" —"))
        self.widget.setAccessibleName(label_for(key))
        self.widget.setAccessibleDescription(info.description or "")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.widget, 1)
        self.browse: QPushButton | None = None
        if self.path_kind:
            self.browse = QPushButton("Browse…", self.container)
            self.browse.setToolTip(f"Choose a {self.path_kind} for {label_for(key).lower()}")
            self.browse.clicked.connect(self.choose_path)
            row.addWidget(self.browse)
        layout.addLayout(row)
        self.help = QLabel(info.description or "", self.container)
        self.help.setWordWrap(True)
        muted = self.help.palette()
        muted.setColor(QPalette.ColorRole.WindowText, muted.color(QPalette.ColorRole.PlaceholderText))
        self.help.setPalette(muted)
        layout.addWidget(self.help)
        self.error = QLabel(self.container)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828;")
        self.error.hide()
        layout.addWidget(self.error)
        self.label = QLabel(label_for(key) + (" *" if self.required else ""), parent)
        self.label.setBuddy(self.widget)
        self.label.setMinimumWidth(LABEL_WIDTH)
        self.label.setToolTip("required" if self.required else self.location)

    # -- widgets ----------------------------------------------------------------------------------

    def _make_widget(self, annotation: Any) -> QWidget:
        low, high = _bounds(self.info)
        if annotation is bool:
            box = QCheckBox()
            box.toggled.connect(self.changed)
            return box
        if annotation is int:
            spin = QSpinBox()
            spin.setRange(int(low if low is not None else -_BIG), int(high if high is not None else _BIG))
            spin.valueChanged.connect(self.changed)
            return spin
        if annotation is float:
            dspin = QDoubleSpinBox()
            dspin.setDecimals(1)
            dspin.setRange(low if low is not None else -_BIG, high if high is not None else _BIG)
            dspin.valueChanged.connect(self.changed)
            return dspin
        words = _literal_words(annotation)
        if words is not None:  # a fixed set of words: a drop-down ("" first when it may be unset)
            combo = QComboBox()
            combo.addItems(([""] if self.optional else []) + words)
            combo.currentTextChanged.connect(self.changed)
            return combo
        if typing.get_origin(annotation) is list:
            text = QPlainTextEdit()
            text.setTabChangesFocus(True)
            text.setPlaceholderText("one per line")
            metrics = QFontMetrics(text.font())
            text.setFixedHeight(metrics.lineSpacing() * 4 + 12)
            text.textChanged.connect(self.changed)
            return text
        line = QLineEdit()
        line.setClearButtonEnabled(True)
        if self.optional:
            line.setPlaceholderText("not set")
        line.textChanged.connect(self.changed)
        return line

    def value(self) -> Any:
        widget = self.widget
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, QSpinBox | QDoubleSpinBox):
            return widget.value()
        if isinstance(widget, QPlainTextEdit):
            return [line.strip() for line in widget.toPlainText().splitlines() if line.strip()]
        if isinstance(widget, QComboBox):
            return None if self.optional and not widget.currentText() else widget.currentText()
        text = widget.text() if isinstance(widget, QLineEdit) else ""
        return None if self.optional and not text.strip() else text

    def set_value(self, value: Any) -> bool:
        """Show ``value``; False when it has a type this field cannot show (left at default)."""
        widget = self.widget
        if isinstance(widget, QCheckBox):
            if not isinstance(value, bool):
                return False
            widget.setChecked(value)
        elif isinstance(widget, QSpinBox):
            if not isinstance(value, int) or isinstance(value, bool):
                return False
            widget.setValue(value)
        elif isinstance(widget, QDoubleSpinBox):
            if not isinstance(value, int | float) or isinstance(value, bool):
                return False
            widget.setValue(float(value))
        elif isinstance(widget, QComboBox):
            value = "" if value is None and self.optional else value
            if not isinstance(value, str) or widget.findText(value) < 0:
                return False
            widget.setCurrentText(value)
        elif isinstance(widget, QPlainTextEdit):
            if not isinstance(value, list):
                return False
            widget.setPlainText("\n".join(str(v) for v in value))
        elif isinstance(widget, QLineEdit):
            if value is None:
                value = ""
            if not isinstance(value, str):
                return False
            widget.setText(value)
        return True

    def reset(self) -> None:
        """Back to the model's default (empty for a required key)."""
        default = self.info.get_default(call_default_factory=True) if not self.required else None
        if default is None and not self.optional:
            default = {bool: False, int: 0, float: 0.0}.get(self.info.annotation, "")
        self.set_value(default)

    def set_error(self, message: str | None) -> None:
        if message:
            self.error.setText("⚠ " + message)
            self.error.show()
        else:
            self.error.clear()
            self.error.hide()
        self.widget.setAccessibleDescription(message or self.info.description or "")

    # -- pickers ----------------------------------------------------------------------------------

    def choose_path(self) -> None:
        current = str(self.value() or "")
        start = str(Path(current).expanduser()) if current else str(Path.home())
        if self.path_kind == "folder":
            chosen = QFileDialog.getExistingDirectory(self.container, f"Choose {label_for(self.key)}", start)
        else:
            chosen, _ = QFileDialog.getOpenFileName(self.container, f"Choose {label_for(self.key)}", start)
        if chosen and isinstance(self.widget, QLineEdit):
            self.widget.setText(str(Path(chosen)))
