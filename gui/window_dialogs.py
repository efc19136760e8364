"""The window's own dialogs: Notifications (one at a time) and About. A mixin of ``MainWindow``; it
sees the window through ``gui.window_protocol``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from engine import __version__

if TYPE_CHECKING:
    from gui.window_protocol import Window as _Base
else:
    _Base = object


class WindowDialogs(_Base):
    notifications_dialog: QDialog | None = None

    def open_notifications(self) -> QDialog:
        """The Notifications dialog (one at a time; returned so tests can drive it)."""
        from gui.notify_dialog import NotificationsDialog

        if self.notifications_dialog is None or not self.notifications_dialog.isVisible():
            self.notifications_dialog = NotificationsDialog(self.folders, self)
            self.notifications_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.notifications_dialog.destroyed.connect(self._notifications_closed)
        self.notifications_dialog.show()
        self.notifications_dialog.raise_()
        self.notifications_dialog.activateWindow()
        return self.notifications_dialog

    def _notifications_closed(self) -> None:
        self.notifications_dialog = None

    def about(self) -> None:
        QMessageBox.about(
            self,
            "About Rearguard",
            f"<b>Rearguard {__version__}</b><br>Dependable backups: Revit Server models, "
            f"rclone remotes and folder mirrors.<br><br>Profiles: {self.folders.profiles}"
            f"<br>Logs: {self.folders.logs}<br>State: {self.folders.state_db}",
        )
