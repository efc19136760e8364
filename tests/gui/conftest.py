"""GUI test set-up: Qt offscreen, a private REARGUARD_HOME, a window whose dialogs are answered."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from engine.core.folders import Folders, app_folders
from engine.core.profile_store import save_profile
from engine.core.profiles import MirrorProfile, Profile
from gui import qt_fixes
from gui.main_window import MainWindow

qt_fixes.install()  # before any test emits a signal (see gui/qt_fixes.py)

Button = QMessageBox.StandardButton


class Dialogs:
    """Answers the window's questions the way a test says, and remembers what was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.told: list[str] = []
        self.answers: list[Button] = []
        self.texts: list[str | None] = []

    def ask(self, title: str, text: str, buttons: Button, default: Button) -> Button:
        self.asked.append(f"{title}: {text}")
        if self.answers:
            return self.answers.pop(0)
        return Button.Discard if buttons & Button.Discard else Button.Yes

    def ask_text(self, title: str, label: str, text: str) -> str | None:
        self.asked.append(f"{title}: {label}")
        return self.texts.pop(0) if self.texts else None

    def tell(self, title: str, text: str) -> None:
        self.told.append(f"{title}: {text}")


@pytest.fixture
def folders(home: Path) -> Folders:
    return app_folders().create()


@pytest.fixture
def make_files() -> Callable[..., int]:
    """``make_files(root, count, per_folder=10, size=200)``: a small tree; returns the file count."""

    def make(root: Path, count: int, per_folder: int = 10, size: int = 200, prefix: str = "f") -> int:
        for number in range(count):
            folder = root / f"folder{number // per_folder:03}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{prefix}{number:05}.txt").write_bytes(b"x" * (size + number % 7))
        return count

    return make


@pytest.fixture
def mirror_profile(folders: Folders) -> Callable[..., Profile]:
    def make(name: str, source: Path, replica: Path, **settings: object) -> Profile:
        spec = MirrorProfile.model_validate(
            {"kind": "mirror", "mirror": {"source": str(source), "replica": str(replica), **settings}}
        )
        return save_profile(folders, name, spec)

    return make


@pytest.fixture
def dialogs() -> Dialogs:
    return Dialogs()


@pytest.fixture
def window(qtbot, folders: Folders, dialogs: Dialogs) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    win = MainWindow(folders)
    win.ask = dialogs.ask  # type: ignore[method-assign]
    win.ask_text = dialogs.ask_text  # type: ignore[method-assign]
    win.tell = dialogs.tell  # type: ignore[method-assign]
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    for session in list(win.sessions.values()):
        session.stop_and_wait()
