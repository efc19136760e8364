"""Start at login: a Windows "Run" registry value or an XDG autostart file, and their removal.

What is written is built by pure functions (tested on every OS); only ``enable``/``disable``
touch the system, each guarded by platform.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

APP_ID = "Rearguard"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def launch_command(argv: Sequence[str] | None = None) -> list[str]:
    """The command that starts the app in the tray: the frozen exe, or this Python with the launcher."""
    if argv is not None:
        return list(argv)
    if getattr(sys, "frozen", False):
        return [sys.executable, "--minimized"]
    return [sys.executable, "-m", "gui.launcher", "--minimized"]


def windows_command_line(argv: Sequence[str]) -> str:
    """A Windows command line for the Run value (each argument quoted as CreateProcess expects)."""
    import subprocess

    return subprocess.list2cmdline(list(argv))


def windows_run_value(argv: Sequence[str]) -> tuple[str, str, str]:
    """(registry key under HKEY_CURRENT_USER, value name, value data) for start at login."""
    return RUN_KEY, APP_ID, windows_command_line(argv)


def xdg_autostart_path(config_home: str | None = None) -> Path:
    base = config_home or os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return Path(base) / "autostart" / "rearguard.desktop"


def xdg_autostart_text(argv: Sequence[str]) -> str:
    """The ``.desktop`` entry that starts Rearguard at login on Linux desktops."""
    exec_line = " ".join(shlex.quote(a).replace("%", "%%") for a in argv)
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=Rearguard\n"
        "Comment=Backups on schedule, in the tray\n"
        f"Exec={exec_line}\n"
        "Icon=rearguard\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def is_enabled(platform: str = sys.platform) -> bool:
    if platform == "win32":
        import winreg  # type: ignore[import-not-found,unused-ignore]

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:  # type: ignore[attr-defined,unused-ignore]
                winreg.QueryValueEx(key, APP_ID)  # type: ignore[attr-defined,unused-ignore]
                return True
        except OSError:
            return False
    return xdg_autostart_path().exists()


def enable(argv: Sequence[str] | None = None, platform: str = sys.platform) -> str:
    """Turn start-at-login on; returns where it was written."""
    command = launch_command(argv)
    if platform == "win32":
        import winreg  # type: ignore[import-not-found,unused-ignore]

        key_path, name, value = windows_run_value(command)
        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, key_path) as key:  # type: ignore[attr-defined,unused-ignore]
            winreg.SetValueEx(key, name, 0, winreg.REG_SZ, value)  # type: ignore[attr-defined,unused-ignore]
        return rf"HKEY_CURRENT_USER\{key_path}\{name}"
    from engine.files.atomic import atomic_write_text

    path = xdg_autostart_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, xdg_autostart_text(command))
    return str(path)


def disable(platform: str = sys.platform) -> None:
    """Turn start-at-login off (nothing happens when it was off)."""
    if platform == "win32":
        import winreg  # type: ignore[import-not-found,unused-ignore]

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:  # type: ignore[attr-defined,unused-ignore]
                winreg.DeleteValue(key, APP_ID)  # type: ignore[attr-defined,unused-ignore]
        except OSError:
            pass
        return
    xdg_autostart_path().unlink(missing_ok=True)
