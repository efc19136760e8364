"""What the package ships and how the app finds it: icons, the .desktop file, the Windows version
resource, the bundled-file lookups, and the build entry points (fast: nothing is built here)."""

from __future__ import annotations

import configparser
import re
import struct
import sys
import types
from pathlib import Path

import pytest

import engine
from engine.tools import bundled
from tests.packaging.packaging_scripts import PACKAGING, RESOURCES, ROOT, load_script

ICONS = RESOURCES / "icons"
APP_SIZES = (16, 24, 32, 48, 64, 128, 256)
TRAY_STATES = ("idle", "running", "warning")


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_app_icon_comes_in_every_usual_size_as_png() -> None:
    for size in APP_SIZES:
        assert png_size(ICONS / f"rearguard-{size}.png") == (size, size)
    assert (ICONS / "rearguard.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_windows_ico_holds_16_to_256_pixel_pictures() -> None:
    data = (ICONS / "rearguard.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    sizes = []
    for i in range(count):
        width, height, _, _, planes, bits, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * i : 22 + 16 * i]
        )
        side = width or 256
        assert (width or 256) == (height or 256) and bits == 32 and planes == 1
        picture = data[offset : offset + length]
        assert len(picture) == length
        if side == 256:
            assert picture[:8] == b"\x89PNG\r\n\x1a\n"
        else:  # 32-bit BMP: header, pixels, and-mask
            assert struct.unpack("<Iii", picture[:12]) == (40, side, 2 * side)
        sizes.append(side)
    assert sorted(sizes) == list(APP_SIZES)


def test_macos_icns_holds_pictures_up_to_1024() -> None:
    data = (ICONS / "rearguard.icns").read_bytes()
    assert data[:4] == b"icns" and struct.unpack(">I", data[4:8])[0] == len(data)
    kinds, at = set(), 8
    while at < len(data):
        kinds.add(data[at : at + 4])
        at += struct.unpack(">I", data[at + 4 : at + 8])[0]
    assert {b"ic07", b"ic08", b"ic09", b"ic10"} <= kinds


def test_tray_states_differ_in_shape_not_only_in_colour() -> None:
    from PySide6.QtGui import QImage

    def opaque(state: str) -> set[tuple[int, int]]:
        image = QImage(str(ICONS / f"tray-{state}-32.png"))
        assert (image.width(), image.height()) == (32, 32)
        return {(x, y) for x in range(32) for y in range(32) if image.pixelColor(x, y).alpha() > 128}

    masks = {state: opaque(state) for state in TRAY_STATES}
    for a, b in (("idle", "running"), ("idle", "warning"), ("running", "warning")):
        assert len(masks[a] ^ masks[b]) >= 20, f"tray-{a} and tray-{b} have nearly the same outline"
    for state in TRAY_STATES:
        for size in (16, 22, 24, 32, 48, 64):
            assert png_size(ICONS / f"tray-{state}-{size}.png") == (size, size)


def test_linux_desktop_file_starts_the_app_with_its_icon() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read(RESOURCES / "rearguard.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application"
    assert desktop["Name"] == "Rearguard"
    assert desktop["Exec"].split()[0] == "rearguard"
    assert desktop["Icon"] == "rearguard"
    assert desktop["Terminal"] == "false"
    assert desktop["Categories"].endswith(";")


def test_windows_version_resource_carries_the_engine_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    version_info = load_script("version_info")
    assert version_info.app_version() == engine.__version__
    path = version_info.write_version_file(tmp_path / "v.txt", "rearguard-cli")
    # PyInstaller's reader imports pefile and pywin32 glue, only present on Windows and not used here.
    import PyInstaller.compat

    monkeypatch.setitem(sys.modules, "pefile", types.ModuleType("pefile"))
    monkeypatch.setattr(PyInstaller.compat, "win32api", types.ModuleType("win32api"), raising=False)
    monkeypatch.delitem(sys.modules, "PyInstaller.utils.win32.versioninfo", raising=False)
    from PyInstaller.utils.win32 import versioninfo

    info = versioninfo.load_version_info_from_text_file(str(path))
    assert info.toRaw()  # a resource Windows can read
    numbers = version_info.version_tuple(engine.__version__)
    assert (info.ffi.fileVersionMS, info.ffi.fileVersionLS) == (
        numbers[0] << 16 | numbers[1],
        numbers[2] << 16 | numbers[3],
    )
    text = str(info)
    assert f"'FileVersion', '{engine.__version__}'" in text
    assert "'OriginalFilename', 'rearguard-cli.exe'" in text


def test_version_numbers_windows_accepts() -> None:
    version_tuple = load_script("version_info").version_tuple
    assert version_tuple("1.2.3") == (1, 2, 3, 0)
    assert version_tuple("0.4.0rc2") == (0, 4, 0, 0)
    assert version_tuple("2.0") == (2, 0, 0, 0)


def test_resources_are_found_in_a_checkout() -> None:
    assert not bundled.is_frozen()
    assert bundled.resource_path("icons/rearguard.ico").is_file()
    assert bundled.resource_path("rearguard.desktop").is_file()
    with pytest.raises(ValueError):
        bundled.resource_path("../pyproject.toml")


def frozen_at(monkeypatch: pytest.MonkeyPatch, bundle: Path) -> None:
    """Make this process look like the packaged app unpacked at ``bundle``."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)


def test_frozen_app_finds_its_resources_and_rclone_in_the_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "resources" / "icons").mkdir(parents=True)
    rclone = tmp_path / bundled.RCLONE_EXE
    rclone.write_bytes(b"")
    frozen_at(monkeypatch, tmp_path)
    assert bundled.is_frozen()
    assert (
        bundled.resource_path("icons/tray-idle-16.png")
        == tmp_path / "resources" / "icons" / "tray-idle-16.png"
    )
    assert bundled.bundled_rclone() == rclone


def test_rclone_job_and_bundle_lookup_agree_on_the_bundled_rclone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.jobs.rclone import preflight

    rclone = tmp_path / bundled.RCLONE_EXE
    rclone.write_bytes(b"")
    frozen_at(monkeypatch, tmp_path)
    monkeypatch.setenv("PATH", "")
    assert preflight.find_rclone() == str(rclone) == str(bundled.bundled_rclone())


def test_programs_started_by_the_frozen_app_get_the_users_library_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inside = str(tmp_path / "_internal")
    env = {"LD_LIBRARY_PATH": inside, "LD_LIBRARY_PATH_ORIG": "/opt/lib", "HOME": "/home/u"}
    bundled.restore_library_path(env)  # not frozen: left alone
    assert env["LD_LIBRARY_PATH"] == inside

    frozen_at(monkeypatch, tmp_path)
    bundled.restore_library_path(env)
    assert env == {"LD_LIBRARY_PATH": "/opt/lib", "HOME": "/home/u"}
    env = {"LD_LIBRARY_PATH": inside}  # the user had none
    bundled.restore_library_path(env)
    assert env == {}


def test_packaging_folder_never_shadows_the_packaging_library() -> None:
    assert not (PACKAGING / "__init__.py").exists()


def test_make_package_and_the_release_workflow_run_the_same_build() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = re.search(r"^package:.*\n((?:\t.*\n?)+)", makefile, re.MULTILINE)
    assert target, "Makefile has no package target"
    assert "packaging/build.py" in target.group(1)
    workflow = (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    for runner in ("windows-latest", "macos-latest", "ubuntu-"):
        assert runner in workflow
    assert "make package" in workflow  # Linux and macOS
    assert "packaging/build.py" in workflow  # Windows: the same script without make
    assert "rearguard.spec" in (PACKAGING / "build.py").read_text(encoding="utf-8")
