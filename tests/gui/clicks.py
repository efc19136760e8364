"""Clicking as a user does: a toolbar button for an action, a tab by its title."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QTabWidget, QToolBar


def click_action(qtbot, window: QMainWindow, action: QAction) -> None:  # type: ignore[no-untyped-def]
    """Click the toolbar button of ``action`` (its menu entry when it has no button)."""
    for bar in window.findChildren(QToolBar):
        button = bar.widgetForAction(action)
        if button is not None and button.isVisible():
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
            return
    action.trigger()


def click_tab(qtbot, tabs: QTabWidget, title: str) -> None:  # type: ignore[no-untyped-def]
    """Click the tab whose title (without its & mark) is ``title``."""
    bar = tabs.tabBar()
    for number in range(tabs.count()):
        if tabs.tabText(number).replace("&", "").rstrip(" •") == title:
            qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=QPoint(bar.tabRect(number).center()))
            return
    raise AssertionError(f"no tab called {title!r}")
