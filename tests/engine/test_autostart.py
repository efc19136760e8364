"""Start at login: the Windows Run value and the XDG autostart file, built and (on Linux) written."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from engine.schedule import autostart


def test_windows_run_value_quotes_paths_with_spaces() -> None:
    key, name, value = autostart.windows_run_value(
        [r"C:\Program Files\Rearguard\Rearguard.exe", "--minimized"]
    )
    assert key == r"Software\Microsoft\Windows\CurrentVersion\Run" and name == "Rearguard"
    assert value == r'"C:\Program Files\Rearguard\Rearguard.exe" --minimized'


def test_xdg_entry_is_valid_and_quotes_the_command() -> None:
    text = autostart.xdg_autostart_text(["/opt/Rear Guard/rearguard", "--minimized"])
    assert text.startswith("[Desktop Entry]\nType=Application\n")
    assert "Exec='/opt/Rear Guard/rearguard' --minimized\n" in text


@pytest.mark.skipif(sys.platform == "win32", reason="XDG")
def test_enable_and_disable_on_linux(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    where = autostart.enable(["/usr/bin/rearguard", "--minimized"], platform="linux")
    assert Path(where) == tmp_path / "autostart" / "rearguard.desktop"
    assert autostart.is_enabled("linux")
    autostart.disable("linux")
    assert not autostart.is_enabled("linux")
    autostart.disable("linux")  # twice is fine
