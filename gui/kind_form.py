"""One page of the Settings tab: the form for one kind of profile, built from the engine's
model (a field per key, a group per section), and where each validation problem belongs."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from engine.core.profiles import SPEC_BY_KIND
from gui.form_fields import FieldEditor, label_for, section_model

_SECTION_PROBLEM = re.compile(r"^\[(\w+)\](?:\.(\w+))?[^:]*: (.*)$", re.S)
_TOP_PROBLEM = re.compile(r"^(\w+)(?:\.[\w.]+)?: (.*)$", re.S)
SECTION_TITLES = {
    "schedule": "Run on a schedule",
    "notify": "Notifications for this profile",
    "mirror": "Mirror",
    "rclone": "Upload with rclone",
    "revit": "Revit Server export",
}


class KindForm(QWidget):
    """The form for one kind of profile: top-level keys, then one group per section."""

    changed = Signal()

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.model = SPEC_BY_KIND[kind]
        self.fields: dict[tuple[str | None, str], FieldEditor] = {}
        self.optional_groups: dict[str, QGroupBox] = {}
        self.section_errors: dict[str, QLabel] = {}
        self.touched: set[tuple[str | None, str | None]] = set()  # fields the user changed
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QFormLayout()
        sections: list[tuple[str, Any]] = []
        for key, info in self.model.model_fields.items():
            if key == "kind":
                continue
            sub = section_model(info.annotation)
            if sub is not None:
                sections.append((key, info))
                continue
            self._add_field(top, None, key, info)
        layout.addLayout(top)
        # the schedule first (one line while it is off: seen without scrolling), then the kind's own
        # section (what the profile is about), then the rest
        sections.sort(key=lambda item: (item[0] != "schedule", item[0] != kind))
        for key, info in sections:
            layout.addWidget(self._section_group(key, info))
        layout.addStretch(1)

    def _add_field(self, form: QFormLayout, section: str | None, key: str, info: Any) -> None:
        editor = FieldEditor(section, key, info, self)
        editor.changed.connect(self.changed)
        editor.changed.connect(lambda: self._touch(section, key))
        form.addRow(editor.label, editor.container)
        self.fields[(section, key)] = editor

    def _section_group(self, key: str, info: Any) -> QGroupBox:
        sub = section_model(info.annotation)
        assert sub is not None
        group = QGroupBox(SECTION_TITLES.get(key, label_for(key)))
        group.setObjectName(f"section-{key}")
        if not info.is_required():
            group.setCheckable(True)
            group.setChecked(False)
            group.toggled.connect(self.changed)
            group.toggled.connect(lambda _on: self._touch(key, None))
            self.optional_groups[key] = group
        box = QVBoxLayout(group)
        error = QLabel(group)
        error.setWordWrap(True)
        error.setStyleSheet("color: #c62828;")
        error.hide()
        box.addWidget(error)
        self.section_errors[key] = error
        body = QWidget(group)  # an optional section that is off folds to its title line
        form = QFormLayout(body)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for sub_key, sub_info in sub.model_fields.items():
            self._add_field(form, key, sub_key, sub_info)
        box.addWidget(body)
        if group.isCheckable():
            group.toggled.connect(body.setVisible)
            body.setVisible(group.isChecked())
        return group

    def _touch(self, section: str | None, key: str | None) -> None:
        if not self.signalsBlocked():  # loading a profile is not the user touching a field
            self.touched.add((section, key))

    def is_touched(self, section: str | None, key: str | None) -> bool:
        """Whether the user changed this field (``key`` None: anything in the section)."""
        if key is None:
            return any(s == section for s, _k in self.touched)
        return (section, key) in self.touched or (section, None) in self.touched

    def widget_for(self, problem: str) -> QWidget | None:
        """The field (or section) a problem is about, to take the user there."""
        where = place_problem(problem, self.fields)
        if where is None:
            return None
        section, key, _message = where
        if key is not None:
            return self.fields[(section, key)].widget
        return self.findChild(QGroupBox, f"section-{section}")

    def field(self, section: str | None, key: str) -> FieldEditor:
        return self.fields[(section, key)]

    # -- values -----------------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """The form as the dict a profile file parses to (``validate_spec`` input)."""
        data: dict[str, Any] = {"kind": self.kind}
        for (section, key), editor in self.fields.items():
            if section is None:
                value = editor.value()
                if value is not None:
                    data[key] = value
                continue
            group = self.optional_groups.get(section)
            if group is not None and not group.isChecked():
                continue
            value = editor.value()
            if value is not None:
                data.setdefault(section, {})[key] = value
        return data

    def load(self, data: dict[str, Any]) -> None:
        """Show a profile's data; keys it cannot show are left at their defaults."""
        blocked = self.blockSignals(True)
        try:
            for editor in self.fields.values():
                editor.reset()
            for group_key, group in self.optional_groups.items():
                group.setChecked(isinstance(data.get(group_key), dict))
            for (section, key), editor in self.fields.items():
                holder = data if section is None else data.get(section)
                if isinstance(holder, dict) and key in holder:
                    editor.set_value(holder[key])
        finally:
            self.blockSignals(blocked)

    def show_problems(self, problems: list[str]) -> list[str]:
        """Put each problem beside its field; return those that belong to no field."""
        return show_problems(self.fields, self.section_errors, problems)


def place_problem(
    problem: str, fields: dict[tuple[str | None, str], FieldEditor]
) -> tuple[str | None, str | None, str] | None:
    """Where a ``[mirror].replica: ...`` problem belongs: (section, key or None, message)."""
    match = _SECTION_PROBLEM.match(problem)
    if match:
        section, key, message = match.groups()
        if key is None:  # a whole-section problem that names a key first goes to that key
            first = message.split(" ", 1)[0]
            if (section, first) in fields:
                return section, first, message
        if key is not None and (section, key) not in fields:
            return section, None, f"{key}: {message}"
        return section, key, message
    match = _TOP_PROBLEM.match(problem)
    if match and (None, match.group(1)) in fields:
        return None, match.group(1), match.group(2)
    return None


def show_banner(banner: QLabel, saved: str, file_problems: list[str], loose: list[str]) -> None:
    """The banner over a form: the problems of the file as saved (``saved`` names it), then the
    problems no field shows; hidden when there are none."""
    lines = []
    if file_problems:
        lines.append(
            f"<b>{saved} has problems</b> (the form shows what could be read; Save writes a corrected file):"
        )
        lines += [f"• {_as_html(p)}" for p in file_problems]
    lines += [f"⚠ {_as_html(p)}" for p in loose]
    banner.setText("<br>".join(lines))
    banner.setVisible(bool(lines))


def _as_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>")


def show_problems(
    fields: dict[tuple[str | None, str], FieldEditor], section_errors: dict[str, QLabel], problems: list[str]
) -> list[str]:
    """Put each problem beside its field (or under its section); return those that belong to neither."""
    per_field: dict[tuple[str | None, str], list[str]] = {}
    per_section: dict[str, list[str]] = {}
    loose: list[str] = []
    for problem in problems:
        where = place_problem(problem, fields)
        if where is None:
            loose.append(problem)
        elif where[1] is None:
            per_section.setdefault(str(where[0]), []).append(where[2])
        else:
            per_field.setdefault((where[0], where[1]), []).append(where[2])
    for place, editor in fields.items():
        editor.set_error("; ".join(per_field.get(place, [])) or None)
    for section, label in section_errors.items():
        messages = per_section.pop(section, [])
        label.setText("\n".join("⚠ " + m for m in messages))
        label.setVisible(bool(messages))
    loose.extend(f"[{s}]: {m}" for s, ms in per_section.items() for m in ms)
    return loose
