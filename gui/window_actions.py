"""The window's actions, each with a menu entry and a key, its toolbar, menu bar and context menu."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QSizePolicy, QToolButton, QWidget

from engine.core.profiles import KINDS
from gui.desktop import open_folder

if TYPE_CHECKING:
    from gui.window_protocol import Window

KIND_LABELS = {
    "mirror": "Mirror a folder",
    "rclone": "Upload to a remote (rclone)",
    "revit": "Export Revit Server models",
}


def _action(
    window: Window,
    text: str,
    slot: Callable[[], object],
    shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
    tip: str = "",
) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setToolTip(
        f"{tip or text.replace('&', '')}"
        + (
            f" ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
            if shortcut is not None
            else ""
        )
    )
    action.setStatusTip(tip)
    action.triggered.connect(lambda checked=False: slot())
    window.addAction(action)
    return action


def install_actions(window: Window) -> None:
    """Give the window its actions (each with a key), toolbar and menu bar."""
    style = window.style()
    pix = style.StandardPixmap
    window.run_action = _action(window, "&Run now", window.start_run, "F5", "Back up this profile now")
    window.run_action.setIcon(style.standardIcon(pix.SP_MediaPlay))
    window.preview_action = _action(
        window,
        "Pre&view",
        lambda: window.start_run(dry_run=True),
        "F6",
        "Show what a run would do, changing nothing",
    )
    window.preview_action.setIcon(style.standardIcon(pix.SP_FileDialogContentsView))
    window.verify_action = _action(
        window,
        "&Verify now",
        lambda: window.start_run(verify=True),
        "F7",
        "Read every file of the backup back and compare it with the source",
    )
    window.verify_action.setIcon(style.standardIcon(pix.SP_DialogApplyButton))
    window.cancel_action = _action(
        window, "&Cancel run", window.cancel_run, "Shift+F5", "Stop the run after the current file"
    )
    window.cancel_action.setIcon(style.standardIcon(pix.SP_MediaStop))
    window.pause_run_action = _action(
        window,
        "Pa&use run",
        lambda: window.pause_run(paused=window.pause_run_action.isChecked()),
        "F8",
        "Pause the run: it keeps its lock and uses no disk or network until you press Resume",
    )
    window.pause_run_action.setCheckable(True)
    window.pause_run_action.setIcon(style.standardIcon(pix.SP_MediaPause))
    window.new_actions = {
        kind: _action(window, KIND_LABELS[kind] + "…", lambda k=kind: window.new_profile(k)) for kind in KINDS
    }
    window.new_actions["mirror"].setShortcut(QKeySequence.StandardKey.New)
    window.save_action = _action(window, "&Save settings", window.editor.save, QKeySequence.StandardKey.Save)
    window.duplicate_action = _action(window, "&Duplicate", window.duplicate_current, "Ctrl+D")
    window.rename_action = _action(window, "Re&name…", window.rename_current, "F2")
    window.delete_action = _action(window, "De&lete…", window.delete_current)
    window.delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
    window.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    window.removeAction(window.delete_action)  # the Delete key deletes only from the profile list
    window.list.addAction(window.delete_action)
    window.open_target_action = _action(window, "Open &target folder", window.open_target)
    window.open_logs_action = _action(window, "Open &log folder", window.open_logs)
    window.open_profiles_action = _action(
        window, "Open &profiles folder", lambda: open_folder(window.folders.profiles)
    )
    window.quit_action = _action(window, "&Quit", window.quit_app, QKeySequence.StandardKey.Quit)
    window.pause_action = _action(
        window,
        "&Pause all",
        lambda: window.set_paused(window.pause_action.isChecked()),
        tip="Pause every running run and every schedule; press again to resume (Run now still works)",
    )
    window.pause_action.setCheckable(True)
    window.pause_action.setIcon(style.standardIcon(pix.SP_MediaPause))
    window.parallel_action = _action(window, "Scheduled runs at the &same time…", window.ask_parallel_limit)
    window.autostart_action = _action(
        window,
        "Start at &login",
        lambda: window.set_autostart(window.autostart_action.isChecked()),
        tip="Start Rearguard in the tray when you log in",
    )
    window.autostart_action.setCheckable(True)
    window.notifications_action = _action(
        window,
        "&Notifications…",
        window.open_notifications,
        tip="E-mail, webhook and metrics: who hears about runs when nobody looks at the screen",
    )
    window.focus_list_action = _action(window, "Go to profiles", window.list.setFocus, "Ctrl+L")
    for number in range(4):
        _action(
            window, f"Tab {number + 1}", lambda n=number: window.tabs.setCurrentIndex(n), f"Ctrl+{number + 1}"
        )
    _build_toolbar(window)
    _build_menus(window)


def _run_actions(window: Window) -> tuple[QAction, ...]:
    """What acts on the selected profile's run, in the order the toolbar and both menus show it."""
    return (
        window.run_action,
        window.preview_action,
        window.verify_action,
        window.cancel_action,
        window.pause_run_action,
    )


def _build_toolbar(window: Window) -> None:
    style = window.style()
    pix = style.StandardPixmap
    toolbar = window.addToolBar("Main")
    toolbar.setObjectName("mainToolbar")
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    for action in _run_actions(window):
        toolbar.addAction(action)
    toolbar.addSeparator()
    window.new_menu = QMenu("&New", window)
    for action in window.new_actions.values():
        window.new_menu.addAction(action)
    new_button = QToolButton()
    new_button.setText("New")
    new_button.setIcon(style.standardIcon(pix.SP_FileIcon))
    new_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    new_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    new_button.setMenu(window.new_menu)
    new_button.setToolTip("Create a profile: mirror, rclone or Revit (Ctrl+N makes a mirror)")
    new_button.setAccessibleName("New profile")
    toolbar.addWidget(new_button)
    spacer = QWidget()
    spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    toolbar.addWidget(spacer)
    toolbar.addAction(window.pause_action)


def _build_menus(window: Window) -> None:
    bar = window.menuBar()
    profile = bar.addMenu("&Profile")
    profile.addMenu(window.new_menu)
    for action in (window.save_action, window.duplicate_action, window.rename_action, window.delete_action):
        profile.addAction(action)
    profile.addSeparator()
    for action in (window.open_target_action, window.open_logs_action, window.open_profiles_action):
        profile.addAction(action)
    profile.addSeparator()
    profile.addAction(window.quit_action)
    run = bar.addMenu("&Run")
    for action in _run_actions(window):
        run.addAction(action)
    run.addSeparator()
    for action in (window.pause_action, window.parallel_action, window.autostart_action):
        run.addAction(action)
    run.addSeparator()
    run.addAction(window.notifications_action)
    help_menu = bar.addMenu("&Help")
    help_menu.addAction(_action(window, "&About Rearguard", window.about))


def show_list_menu(window: Window, pos: QPoint) -> None:
    """The profile list's right-click menu (on empty space: the New menu)."""
    index = window.list.indexAt(pos)
    if not index.isValid():
        window.new_menu.exec(window.list.viewport().mapToGlobal(pos))
        return
    menu = QMenu(window)
    for action in (
        *_run_actions(window),
        None,
        window.duplicate_action,
        window.rename_action,
        window.delete_action,
        None,
        window.open_target_action,
        window.open_logs_action,
    ):
        if action is None:
            menu.addSeparator()
        else:
            menu.addAction(action)
    menu.exec(window.list.viewport().mapToGlobal(pos))
