"""The Settings tab: name, kind and the kind's form (one page per kind), validated as you type by
the same checks as ``rearguard check`` (``validate_spec``, then ``engine.core.profile_check``: the
target against the other profiles' and against its own source), saved as the profile's TOML file.

"⚠ N problems" opens a list of them; choosing one takes the user to its field. A new profile shows
a field's problems once the user has changed that field, and all of them when Save is pressed.
"""

from __future__ import annotations

import tomllib
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.core.errors import ProfileError
from engine.core.folders import Folders
from engine.core.profile_check import profile_problems
from engine.core.profile_store import save_profile
from engine.core.profiles import (
    KINDS,
    Profile,
    ProfileEntry,
    ProfileSpec,
    list_profiles,
    profile_path,
    validate_spec,
)
from gui.form_fields import LABEL_WIDTH
from gui.kind_form import KindForm, place_problem, show_banner

VALIDATE_DELAY_MS = 150


class ProfileEditor(QWidget):
    """Name and kind, the kind's form (one page per kind), problems, Save and Revert."""

    saved = Signal(str, str)  # new name, old name ("" for a new profile)
    dirty_changed = Signal(bool)

    def __init__(self, folders: Folders, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folders = folders
        self.original_name = ""  # the file's name; "" while the profile is new
        self.file_problems: list[str] = []
        self.problems: list[str] = []  # every problem (Save waits for none)
        self.shown: list[str] = []  # those shown: a new profile's untouched fields keep quiet
        self.reveal_all = True  # False for a new profile until Save is pressed
        self.name_touched = False
        self._others: list[Profile] | None = None  # the other saved profiles (targets apart)
        self.spec: ProfileSpec | None = None
        self._baseline: tuple[str, dict[str, Any]] | None = None
        self._dirty = False
        self.name = QLineEdit()
        self.name.setAccessibleName("Profile name")
        self.name.setToolTip(
            "The profile's file name in the profiles folder; letters, digits, spaces and . _ - @ +"
        )
        self.name_error = QLabel()
        self.name_error.setStyleSheet("color: #c62828;")
        self.name_error.hide()
        self.kind = QComboBox()
        self.kind.addItems(list(KINDS))
        self.kind.setAccessibleName("Kind")
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setObjectName("problemBanner")
        self.banner.setStyleSheet(
            "#problemBanner { border: 1px solid #d9822b; border-radius: 4px;"
            " padding: 6px; background: rgba(217,130,43,0.12); }"
        )
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()
        self.pages = QStackedWidget()
        self.forms = {kind: KindForm(kind) for kind in KINDS}
        for form in self.forms.values():
            self.pages.addWidget(form)
            form.changed.connect(self._schedule_validation)
        self.save_button = QPushButton("&Save")
        self.save_button.setToolTip("Save the profile file (Ctrl+S)")
        self.save_button.setDefault(True)
        self.revert_button = QPushButton("&Revert")
        self.revert_button.setToolTip("Forget the changes and show the saved profile again")
        self.status = QLabel()
        self.problems_button = QToolButton()  # "⚠ 2 problems": a menu that takes you to each
        self.problems_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.problems_button.setAccessibleName("Problems")
        self.problems_button.setStyleSheet("QToolButton { color: #c62828; font-weight: bold; }")
        self.problems_menu = QMenu(self)
        self.problems_button.setMenu(self.problems_menu)
        self.problems_button.hide()
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.revert)
        self.name.textChanged.connect(self._schedule_validation)
        self.name.textEdited.connect(self._name_edited)
        self.kind.currentTextChanged.connect(self._kind_changed)
        self._build_layout()
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(VALIDATE_DELAY_MS)
        self.timer.timeout.connect(self.validate)
        self.clear()

    def _build_layout(self) -> None:
        head = QFormLayout()
        name_box = QVBoxLayout()
        name_box.setSpacing(2)
        name_box.addWidget(self.name)
        name_box.addWidget(self.name_error)
        name_label = QLabel("&Name *")
        name_label.setBuddy(self.name)
        name_label.setMinimumWidth(LABEL_WIDTH)
        head.addRow(name_label, name_box)
        kind_label = QLabel("&Kind")
        kind_label.setBuddy(self.kind)
        head.addRow(kind_label, self.kind)
        inner = QWidget()
        inner_layout = QVBoxLayout(inner)
        inner_layout.addLayout(head)
        inner_layout.addWidget(self.banner)
        inner_layout.addWidget(self.pages, 1)
        scroll = self.scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(inner)
        buttons = QHBoxLayout()
        buttons.addWidget(self.problems_button)
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)

    # -- what is shown ----------------------------------------------------------------------------

    @property
    def form(self) -> KindForm:
        return self.forms[self.kind.currentText()]

    @property
    def is_new(self) -> bool:
        return not self.original_name

    @property
    def has_profile(self) -> bool:
        return self._baseline is not None

    def clear(self) -> None:
        self.original_name, self.file_problems, self._baseline = "", [], None
        self.name.clear()
        self.setEnabled(False)
        self._set_dirty(False)
        self._show_banner([])

    def load_entry(self, entry: ProfileEntry) -> None:
        """Show a profile file; a broken one shows what could be read, and its problems."""
        data: dict[str, Any] = {}
        if entry.profile is not None:
            data = entry.profile.spec.model_dump(exclude_none=True)
            self.file_problems = []
        else:
            self.file_problems = list(entry.error.problems) if entry.error else []
            try:
                data = tomllib.loads(entry.path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                data = {}
        kind = data.get("kind") if data.get("kind") in KINDS else None
        self._show(entry.name, kind or KINDS[0], data, kind_known=kind is not None)

    def new_profile(self, kind: str, name: str) -> None:
        """Start a new profile of ``kind``; it exists once saved."""
        self.file_problems = []
        self._show("", kind, {"kind": kind}, kind_known=True, quiet=True)
        self.name.setText(name)
        self._baseline = (name, self.form.values())
        self._set_dirty(False)
        self.name.setFocus()
        self.name.selectAll()

    def _show(
        self, name: str, kind: str, data: dict[str, Any], *, kind_known: bool, quiet: bool = False
    ) -> None:
        self.setEnabled(True)
        self.original_name = name
        self.reveal_all, self.name_touched, self._others = not quiet, False, None
        for form in self.forms.values():
            form.touched.clear()
        blocked = self.kind.blockSignals(True)
        self.kind.setCurrentText(kind)
        self.kind.blockSignals(blocked)
        self.kind.setEnabled(not name or not kind_known)
        self.pages.setCurrentWidget(self.forms[kind])
        self.form.load(data)
        blocked = self.name.blockSignals(True)
        self.name.setText(name)
        self.name.blockSignals(blocked)
        self.name.setReadOnly(bool(name))
        self._baseline = (name, self.form.values())
        self._set_dirty(False)
        self.validate()

    def _kind_changed(self, kind: str) -> None:
        self.pages.setCurrentWidget(self.forms[kind])
        self._schedule_validation()

    # -- validation -------------------------------------------------------------------------------

    def _schedule_validation(self) -> None:
        self._set_dirty(self._differs())
        self.timer.start()

    def _differs(self) -> bool:
        if self._baseline is None:
            return False
        return (self.name.text(), self.form.values()) != self._baseline

    def validate(self) -> list[str]:
        """Check the form with the engine's model; show each problem where it belongs."""
        self.timer.stop()
        if self._baseline is None:
            return []
        name_problem = self._name_problem()
        shown_name = name_problem if self.reveal_all or self.name_touched else None
        self.name_error.setText("⚠ " + shown_name if shown_name else "")
        self.name_error.setVisible(bool(shown_name))
        self.spec = None
        problems: list[str] = []
        try:
            self.spec = validate_spec(self.form.values(), self.name.text() or "new profile")
        except ProfileError as error:
            problems = error.problems
        if self.spec is not None:  # what `rearguard check` adds: targets apart, not inside source
            problems += self._whole_profile_problems(self.spec)
        visible = [p for p in problems if self.reveal_all or self._touched(p)]
        loose = self.form.show_problems(visible)
        self.problems = ([name_problem] if name_problem else []) + problems
        self.shown = ([shown_name] if shown_name else []) + visible
        self._show_banner(loose)
        self._fill_problem_menu()
        self._update_buttons()
        return self.problems

    def _whole_profile_problems(self, spec: ProfileSpec) -> list[str]:
        if self._others is None:
            self._others = [
                e.profile
                for e in list_profiles(self.folders)
                if e.profile is not None and e.name != self.original_name
            ]
        name = self.name.text() or "new profile"
        path = profile_path(self.folders, self.original_name) if self.original_name else None
        return profile_problems(Profile(name, spec, path), self.folders, self._others)

    def _touched(self, problem: str) -> bool:
        where = place_problem(problem, self.form.fields)
        return where is not None and self.form.is_touched(where[0], where[1])

    def _name_edited(self) -> None:
        self.name_touched = True

    def _fill_problem_menu(self) -> None:
        self.problems_menu.clear()
        for problem in self.shown:
            action = self.problems_menu.addAction(problem if len(problem) < 120 else problem[:117] + "…")
            action.setToolTip(problem)
            action.triggered.connect(lambda _checked=False, p=problem: self.go_to_problem(p))

    def go_to_problem(self, problem: str) -> None:
        """Take the user to the field a problem is about (scrolled into view, with the focus)."""
        widget = (
            self.name
            if self.name_error.isVisible() and problem.startswith(self.name_error.text().removeprefix("⚠ "))
            else self.form.widget_for(problem)
        )
        if widget is None:
            widget = self.banner
        self.scroll.ensureWidgetVisible(widget, 20, 40)
        widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def _name_problem(self) -> str | None:
        name = self.name.text()
        try:
            path = profile_path(self.folders, name)
        except ProfileError as error:
            return error.problems[0] if name else "a name is needed"
        if name != self.original_name and path.exists():
            return f"a profile called '{name}' already exists"
        return None

    def _show_banner(self, loose: list[str]) -> None:
        show_banner(self.banner, "The saved file", self.file_problems, loose)

    def _set_dirty(self, dirty: bool) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)
        self._update_buttons()

    def _update_buttons(self) -> None:
        needs_save = self._dirty or self.is_new or bool(self.file_problems)
        # Problems not shown yet (a new profile's untouched fields): Save shows them.
        self.save_button.setEnabled(self.has_profile and needs_save and not self.shown)
        self.revert_button.setEnabled(self.has_profile and self._dirty)
        count = len(self.shown) if self.has_profile else 0
        self.problems_button.setText(f"⚠ {count} problem{'s' if count > 1 else ''} to fix before saving ▾")
        self.problems_button.setVisible(bool(count))
        if not self.has_profile or count:
            self.status.setText("")
        elif self.problems:
            self.status.setText("New profile: fill in the fields marked *, then Save")
        elif self._dirty or self.is_new:
            self.status.setText("Unsaved changes" if not self.is_new else "New profile, not saved yet")
        else:
            self.status.setText("Saved")

    @property
    def is_dirty(self) -> bool:
        """True when leaving now would lose something the user typed."""
        return self.has_profile and self._differs()

    # -- save and revert --------------------------------------------------------------------------

    def save(self) -> bool:
        """Write the profile file; False (problems shown) when the form is not valid."""
        if not self.has_profile:
            return False
        if self.validate() or self.spec is None:
            if not self.reveal_all:  # Save pressed: every problem shows now
                self.reveal_all = True
                self.validate()
            return False
        name, old = self.name.text(), self.original_name
        try:
            save_profile(self.folders, name, self.spec)
        except (OSError, ProfileError) as error:
            self._show_banner([f"could not save: {error}"])
            return False
        self.original_name = name
        self.file_problems = []
        self.name.setReadOnly(True)
        self.kind.setEnabled(False)
        self._baseline = (name, self.form.values())
        self._others = None  # the folder changed
        self._set_dirty(False)
        self.validate()
        self.saved.emit(name, old)
        return True

    def revert(self) -> None:
        if self._baseline is None:
            return
        name, data = self._baseline
        self.form.load(data)
        blocked = self.name.blockSignals(True)
        self.name.setText(name)
        self.name.blockSignals(blocked)
        self._set_dirty(False)
        self.validate()
