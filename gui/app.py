"""Starting the window: the QApplication, the qasync event loop and ``rearguard gui`` options.

``rearguard gui --quit-after SECONDS [--screenshot FILE.png]`` opens the window, optionally saves a
picture of it, and quits: CI smoke tests and the README screenshot use it.

At every start a worker thread sends what waited in the notification outbox (``flush_outbox``),
after the Log tab learned every profile's secrets; the app waits for it a few seconds at most.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from engine import __version__
from engine.core.folders import Folders, app_folders
from engine.core.profiles import list_profiles
from engine.core.secrets import run_secrets
from engine.notify.delivery import DEADLINE_S
from engine.notify.run_events import flush_outbox
from gui import qt_fixes, tray
from gui.icons import app_icon
from gui.main_window import MainWindow

SCREENSHOT_SIZE = (1180, 740)
GIL_SWITCH_S = 0.001


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rearguard gui", description="Open the Rearguard window.")
    parser.add_argument(
        "--quit-after",
        type=float,
        metavar="SECONDS",
        help="close the window after SECONDS (smoke tests, screenshots)",
    )
    parser.add_argument(
        "--screenshot",
        metavar="FILE.png",
        type=Path,
        help="with --quit-after: save a picture of the window just before quitting",
    )
    parser.add_argument(
        "--minimized",
        action="store_true",
        help="start in the tray without showing the window (start at login uses it)",
    )
    parser.add_argument("--version", action="version", version=f"rearguard {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``rearguard`` / ``rearguard gui``: open the window; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as stop:
        return int(stop.code or 0)
    if args.screenshot is not None and args.quit_after is None:
        print("rearguard gui: --screenshot needs --quit-after SECONDS", file=sys.stderr)
        return 2
    if args.quit_after is not None and args.quit_after < 0:
        print("rearguard gui: --quit-after must be 0 or more", file=sys.stderr)
        return 2
    return run_window(quit_after=args.quit_after, screenshot=args.screenshot, minimized=args.minimized)


def make_app() -> QApplication:
    qt_fixes.install()
    # While a run's copy threads keep Python busy, the window's thread waits for the interpreter
    # lock up to this long at each turn (default 5 ms); 1 ms keeps its stalls short.
    sys.setswitchinterval(GIL_SWITCH_S)
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName("Rearguard")
    app.setApplicationDisplayName("Rearguard")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("Rearguard")
    app.setDesktopFileName("rearguard")
    app.setWindowIcon(app_icon())
    return app


def run_window(
    *,
    quit_after: float | None = None,
    screenshot: Path | None = None,
    select: str | None = None,
    folders: Folders | None = None,
    minimized: bool = False,
) -> int:
    """Show the main window under a qasync loop until it quits (or ``quit_after`` passes).

    A second start only asks the first one to show its window. With a tray, closing the window
    keeps the app (and its schedules) running; ``minimized`` starts there without a window.
    """
    app = make_app()
    folders = (folders or app_folders()).create()
    instance = None
    if quit_after is None:  # smoke tests and screenshots may run beside a real app
        claimed = _claim_single_instance(folders)
        if claimed is False:
            print("rearguard: already running; its window was brought to the front")
            return 0
        instance = claimed
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    app.setQuitOnLastWindowClosed(False)  # the tray keeps the app; the window says when to end
    window = MainWindow(folders, select=select)
    if instance is not None:
        instance.show_requested.connect(window.show_window)
    window.tray = tray.install(window)
    if screenshot is not None:
        window.resize(*SCREENSHOT_SIZE)  # the same picture on every machine, whatever was saved
    if not (minimized and window.tray is not None):
        window.show()
    if quit_after is None:
        window.scheduler.start()
    starting = start_in_background(window)
    closed = asyncio.Event()
    window.closed_for_good.connect(closed.set)
    app.aboutToQuit.connect(closed.set)  # the session ends (log out): go too
    _stop_on_ctrl_c(window)
    saved = True

    async def lifetime() -> None:
        nonlocal saved
        if quit_after is None:
            await closed.wait()
            return
        try:
            await asyncio.wait_for(closed.wait(), timeout=quit_after)
            return
        except TimeoutError:
            pass
        if screenshot is not None:
            saved = save_screenshot(window, screenshot)
        window.quit_app()

    with loop:
        loop.run_until_complete(lifetime())
    starting.join(DEADLINE_S)  # a message being sent is marked sent before the app goes
    if instance is not None:
        instance.close()
    return 0 if saved else 1


def at_start(folders: Folders, learn_secrets: Callable[[Iterable[str]], None]) -> None:
    """Off the GUI thread: the log view learns every profile's secrets, then what waited in the
    outbox is sent (the app's start is one of the times it goes out). Never raises."""
    try:
        for entry in list_profiles(folders):
            if entry.profile is not None:
                learn_secrets(run_secrets(entry.profile, folders))
    except Exception:
        logging.getLogger("rearguard.gui").exception("the profiles' secrets could not be read")
    flush_outbox(folders)


def start_in_background(window: MainWindow) -> threading.Thread:
    thread = threading.Thread(
        target=at_start, args=(window.folders, window.log_buffer.learn), name="app-start", daemon=True
    )
    thread.start()
    return thread


def _claim_single_instance(folders: Folders) -> Any:
    """The instance server, False when another instance runs, None when this build cannot tell."""
    try:
        from gui import single_instance  # needs QtNetwork, which a trimmed build may leave out
    except ImportError as error:
        logging.getLogger("rearguard.gui").warning("no single-instance check here: %s", error)
        return None
    server = single_instance.claim(folders)
    return False if server is None else server


def save_screenshot(window: MainWindow, path: Path) -> bool:
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    ok = bool(window.grab().save(str(path)))
    if not ok:
        print(f"rearguard gui: could not save the screenshot to {path}", file=sys.stderr)
    return ok


def _stop_on_ctrl_c(window: MainWindow) -> None:
    """Ctrl+C in the terminal closes the window (Qt's loop would otherwise swallow it)."""
    if sys.platform == "win32":
        return
    signal.signal(signal.SIGINT, lambda *_: QTimer.singleShot(0, window.quit_app))
    ticker = QTimer(window)  # lets Python run its signal handlers while Qt waits
    ticker.start(300)
    ticker.timeout.connect(lambda: None)
