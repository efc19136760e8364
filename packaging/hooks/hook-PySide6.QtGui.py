# Replaces PyInstaller's hook for PySide6.QtGui (hooks in the spec's hookspath win): the same
# collection, minus Qt plugins a desktop widgets app never loads. Each one dropped here also drops
# the libraries only it needs (EGL device integration, GTK, Wayland GL, ...): tens of megabytes.
from pathlib import PurePath

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

# Whole plugin folders: embedded-display input and EGL back ends, OpenGL glue (the app draws with the
# raster engine), the Wayland compositor side.
DROPPED_TYPES = {
    "egldeviceintegrations",
    "generic",
    "xcbglintegrations",
    "wayland-graphics-integration-client",
    "wayland-graphics-integration-server",
}
# Single plugins, by file name without "lib" and extension.
DROPPED_PLUGINS = {
    # platforms: kiosk/embedded back ends; kept: xcb, wayland, windows, cocoa, offscreen, minimal
    "qeglfs", "qlinuxfb", "qvnc", "qvkkhrdisplay", "qminimalegl", "qdirect2d",
    # platformthemes: GTK would load the system's GTK against the bundled GLib; the portal theme stays
    "qgtk3",
    # imageformats the app never reads; kept: png (built in), ico, icns, jpeg, gif, svg
    "qpdf", "qtga", "qtiff", "qwbmp", "qwebp",
    # wayland-shell-integration: kept xdg-shell, what desktop compositors speak
    "fullscreen-shell-v1", "ivi-shell", "wl-shell-plugin", "qt-shell",
}  # fmt: skip


def _plugin_name(src):
    name = PurePath(src).name.split(".")[0]
    return name[3:] if name.startswith("lib") else name


def _kept(src, dest):
    parts = PurePath(dest).parts
    if "plugins" not in parts:
        return True
    plugin_type = "/".join(parts[parts.index("plugins") + 1 :])
    return plugin_type not in DROPPED_TYPES and _plugin_name(src) not in DROPPED_PLUGINS


hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [(src, dest) for src, dest in binaries if _kept(src, dest)]
