"""Starting the app as people and CI do: ``rearguard gui --quit-after``, the screenshot, the demo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from engine.core.profiles import read_profile
from gui.launcher import wants_cli

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], home: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REARGUARD_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_gui_quits_after_and_saves_a_screenshot(tmp_path: Path) -> None:
    shot = tmp_path / "shots" / "window.png"
    done = _run(
        ["-m", "gui.launcher", "gui", "--quit-after", "0.5", "--screenshot", str(shot)], tmp_path / "home"
    )
    assert done.returncode == 0, done.stderr
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1180, 740)
    assert (tmp_path / "home" / "profiles").is_dir()


def test_no_arguments_and_flags_open_the_window_not_the_cli() -> None:
    assert not wants_cli([]) and not wants_cli(["gui"]) and not wants_cli(["--quit-after", "1"])
    assert wants_cli(["run", "x"]) and wants_cli(["list"])


def test_bad_gui_arguments_are_refused(tmp_path: Path) -> None:
    done = _run(["-m", "gui.launcher", "gui", "--screenshot", "x.png"], tmp_path / "home")
    assert done.returncode == 2 and "--screenshot needs --quit-after" in done.stderr


def test_demo_makes_a_sample_and_a_profile_that_validates(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = _run(["-m", "gui.demo", "--quit-after", "0.3"], home)
    assert done.returncode == 0, done.stderr
    profile = read_profile(home / "profiles" / "demo.toml")
    source = Path(profile.spec.mirror.source)  # type: ignore[union-attr]
    assert source.is_dir() and len(list(source.rglob("*"))) > 100
    assert str(home) in done.stdout


def test_demo_defaults_to_a_home_in_the_current_folder(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "REARGUARD_HOME"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "gui.demo", "--quit-after", "0.2"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / ".demo-home" / "profiles" / "demo.toml").exists()


def test_minimized_start_is_accepted_and_without_a_tray_the_window_still_shows(tmp_path: Path) -> None:
    shot = tmp_path / "min.png"
    done = _run(
        ["-m", "gui.launcher", "--minimized", "--quit-after", "0.5", "--screenshot", str(shot)],
        tmp_path / "home",
    )
    assert done.returncode == 0, done.stderr
    assert shot.exists()  # offscreen has no tray: the window is shown instead of hiding in none
