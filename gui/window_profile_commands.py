"""What people do to profiles from the menus, the toolbar and the list: new, duplicate, rename,
delete and open their folders, each behind the unsaved-changes guard, and which of the window's
actions the shown profile allows. A mixin of ``MainWindow``; it sees the window through
``gui.window_protocol``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox

from engine.core.errors import ProfileError, RunLocked
from engine.core.profile_store import delete_profile, duplicate_profile, rename_profile, unique_name
from gui.desktop import open_folder

if TYPE_CHECKING:
    from gui.window_protocol import Window as _Base
else:
    _Base = object

Button = QMessageBox.StandardButton
TARGET_KEYS = ("replica", "target", "remote")


class ProfileCommands(_Base):
    # -- the editor's guard, a new profile --------------------------------------------------------

    def confirm_leave_editor(self, doing: str = "leave this profile") -> bool:
        """Before the editor's content goes away: Save, Discard or stay (Cancel)."""
        if not self.editor.is_dirty:
            return True
        name = self.editor.name.text() or "the new profile"
        choice = self.ask(
            "Unsaved changes",
            f"The settings of '{name}' have unsaved changes.\n\nSave them before you {doing}?",
            Button.Save | Button.Discard | Button.Cancel,
            Button.Save,
        )
        if choice == Button.Save:
            if self.editor.save():
                return True
            self.tabs.setCurrentWidget(self.editor)
            self.tell("Cannot save yet", "The settings have problems; they are shown beside each field.")
            return False
        if choice == Button.Discard:
            self.editor.revert()
            return True
        return False

    def new_profile(self, kind: str) -> None:
        if not self.confirm_leave_editor("start a new profile"):
            return
        self._restoring = True
        self.list.selectionModel().clearCurrentIndex()
        self.list.clearSelection()
        self._restoring = False
        self.show_profile(None)
        self.header.show_draft(kind)
        self.editor.new_profile(kind, unique_name(self.folders, f"New {kind}"))
        self.tabs.setCurrentWidget(self.editor)
        self.editor.name.setFocus()

    # -- duplicate, rename, delete ----------------------------------------------------------------

    def duplicate_current(self) -> None:
        name = self.shown_name
        if name is None or not self.confirm_leave_editor("duplicate it"):
            return
        try:
            copy = duplicate_profile(self.folders, name)
        except (ProfileError, OSError) as error:
            self.tell("Cannot duplicate", str(error))
            return
        self.refresh_profiles(select=copy.name)
        self.tabs.setCurrentWidget(self.editor)
        self.statusBar().showMessage(f"Duplicated '{name}' as '{copy.name}'", 8000)

    def rename_current(self) -> None:
        name = self.shown_name
        if name is None or self._running(name) or not self.confirm_leave_editor("rename it"):
            return
        new = self.ask_text("Rename profile", f"New name for '{name}':", name)
        if new is None or new.strip() == name:
            return
        new = new.strip()
        try:
            rename_profile(self.folders, name, new)
        except (ProfileError, RunLocked, OSError) as error:
            self.tell("Cannot rename", str(error))
            return
        self.sessions.pop(name, None)
        self.shown_name = None
        self.refresh_profiles(select=new)
        self.statusBar().showMessage(f"Renamed '{name}' to '{new}' (its history came along)", 8000)

    def delete_current(self) -> None:
        name = self.shown_name
        if name is None or self._running(name):
            return
        choice = self.ask(
            "Delete profile",
            f"Delete the profile '{name}'?\n\nOnly the profile file is "
            "removed; backups already made and the run history stay.",
            Button.Yes | Button.No,
            Button.No,
        )
        if choice != Button.Yes:
            return
        try:
            delete_profile(self.folders, name)
        except (ProfileError, RunLocked, OSError) as error:
            self.tell("Cannot delete", str(error))
            return
        self.sessions.pop(name, None)
        self.editor.clear()
        self.shown_name = None
        self.refresh_profiles()
        if self.list_model.rows:
            self.select(self.list_model.rows[0].name)
        self.statusBar().showMessage(f"Deleted profile '{name}'", 8000)

    def _running(self, name: str) -> bool:
        session = self.sessions.get(name)
        if session is not None and session.running:
            self.tell("Profile is running", f"'{name}' is running; cancel the run first.")
            return True
        return False

    # -- folders ----------------------------------------------------------------------------------

    def target_folder(self, name: str | None = None) -> Path | None:
        row = self.row(name or self.shown_name)
        if row is None or row.entry.profile is None:
            return None
        section = getattr(row.entry.profile.spec, row.entry.profile.kind, None)
        for key in TARGET_KEYS:
            value = getattr(section, key, None)
            if isinstance(value, str) and value.strip():
                path = Path(value).expanduser()
                if path.is_dir():
                    return path
        return None

    def open_target(self) -> None:
        folder = self.target_folder()
        if folder is None:
            self.statusBar().showMessage("The target is not a folder on this computer (yet)", 5000)
            return
        open_folder(folder)

    def open_logs(self) -> None:
        if self.shown_name is not None:
            open_folder(self.folders.profile_logs(self.shown_name))

    # -- which actions the shown profile allows ---------------------------------------------------

    def _update_actions(self) -> None:
        row = self.row(self.shown_name)
        valid = row is not None and row.entry.profile is not None
        session = self.sessions.get(self.shown_name or "")
        running = session is not None and session.running
        self.run_action.setEnabled(valid and not running)
        self.preview_action.setEnabled(valid and not running)
        self.verify_action.setEnabled(valid and not running)
        self.cancel_action.setEnabled(
            running and session is not None and not session.cancelled and not session.dry_run
        )
        pausable = session is not None and session.can_pause
        paused = pausable and session is not None and session.paused
        self.pause_run_action.setEnabled(pausable)
        self.pause_run_action.setChecked(paused)
        self.pause_run_action.setText("Res&ume run" if paused else "Pa&use run")
        self.duplicate_action.setEnabled(valid)
        self.rename_action.setEnabled(row is not None and not running)
        self.delete_action.setEnabled(row is not None and not running)
        self.open_target_action.setEnabled(valid)
        self.open_logs_action.setEnabled(row is not None)
