"""The packaged app, built once per test run with the same script as ``make package``, used as a
person would: from the command line, double-clicked (offscreen here), with and without REARGUARD_HOME.

The build takes ~12 s on a 2-core machine (PyInstaller 6.22); one session fixture does it for all.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

import engine
from tests.packaging.packaging_scripts import PACKAGING, load_script

pytest.importorskip("PyInstaller")
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]  # the first test waits for the build

smoke = load_script("smoke")
BUILD_TIMEOUT = 600


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built app folder (``rearguard``, ``rearguard-cli``, ``_internal/``)."""
    out = tmp_path_factory.mktemp("package")
    command = [sys.executable, str(PACKAGING / "build.py"), "--dist", str(out / "dist"),
               "--work", str(out / "work"), "--no-smoke", "--no-archive"]  # fmt: skip
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False)
    assert proc.returncode == 0, f"build failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    print(f"\npackage built in {time.perf_counter() - started:.1f} s")
    return out / "dist" / "rearguard"


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    smoke.make_home(tmp_path)  # home/ with DEMO (mirror) and OFFSITE (rclone); source/, replica/, remote/
    return tmp_path


def run(
    exe: Path, args: Sequence[str], scratch: Path, *, home: bool = True
) -> subprocess.CompletedProcess[str]:
    env = smoke.base_env(scratch / "home" if home else None, scratch)
    return subprocess.run(
        [str(exe), *args], env=env, cwd=scratch, capture_output=True, text=True, timeout=120, check=False
    )


def cli(app: Path) -> Path:
    return app / smoke.CLI_EXE


def listing(app: Path) -> set[str]:
    return {str(p.relative_to(app)) for p in app.rglob("*")}


def test_version_prints_the_engine_version(app: Path, scratch: Path) -> None:
    proc = run(cli(app), ["--version"], scratch)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"rearguard {engine.__version__}"


def test_dry_run_of_a_profile_prints_its_plan_as_json(app: Path, scratch: Path) -> None:
    proc = run(cli(app), ["run", "DEMO", "--dry-run", "--json"], scratch)
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["profile"] == "DEMO" and plan["kind"] == "mirror"
    files = sorted(a["path"] for a in plan["actions"] if a["action"] == "copy" and not a.get("dir"))
    assert files == ["a.txt", "sub/b.txt"]
    assert not any((scratch / "replica").iterdir())


def test_rclone_profile_uses_the_bundled_rclone_when_none_is_installed(app: Path, scratch: Path) -> None:
    proc = run(cli(app), ["run", "OFFSITE", "--dry-run", "--json"], scratch)  # PATH has no rclone
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert sorted(a["path"] for a in plan["actions"] if a["action"] == "upload") == ["a.txt", "sub/b.txt"]
    rclone = app / "_internal" / smoke.RCLONE
    assert rclone.is_file() and rclone.stat().st_mode & stat.S_IXUSR


def test_window_opens_offscreen_and_saves_a_screenshot(app: Path, scratch: Path) -> None:
    shot = scratch / "shot.png"
    proc = run(app / smoke.GUI_EXE, ["gui", "--quit-after", "2", "--screenshot", str(shot)], scratch)
    assert proc.returncode == 0, proc.stderr
    data = shot.read_bytes()
    assert data[:8] == smoke.PNG_MAGIC
    assert int.from_bytes(data[16:20], "big") >= 600  # the whole window, not an empty picture


def test_a_real_run_keeps_state_in_rearguard_home_and_nothing_in_the_app_folder(
    app: Path, scratch: Path
) -> None:
    before = listing(app)
    proc = run(cli(app), ["run", "DEMO", "--json"], scratch)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "ok"
    assert (scratch / "replica" / "sub" / "b.txt").read_text(encoding="utf-8") == "world\n"
    assert (scratch / "home" / "data" / "state.db").is_file()
    assert listing(app) == before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG folders are the Linux user folders")
def test_without_rearguard_home_the_user_folders_are_used(app: Path, scratch: Path) -> None:
    before = listing(app)
    proc = run(cli(app), ["mirror", str(scratch / "source"), str(scratch / "replica")], scratch, home=False)
    assert proc.returncode == 0, proc.stderr
    assert (scratch / "user" / "data" / "Rearguard" / "state.db").is_file()
    proc = run(cli(app), ["list", "--json"], scratch, home=False)
    assert proc.returncode == 0, proc.stderr
    profiles = Path(json.loads(proc.stdout)["profiles_folder"])
    assert profiles.is_relative_to(scratch / "user" / "config")
    assert listing(app) == before


@pytest.mark.skipif(sys.platform == "win32", reason="the windowed Windows executable has no console")
def test_the_double_click_executable_also_runs_commands(app: Path, scratch: Path) -> None:
    proc = run(app / smoke.GUI_EXE, ["run", "DEMO", "--dry-run", "--json"], scratch)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["kind"] == "mirror"


def test_package_ships_resources_and_leaves_out_what_the_app_never_loads(app: Path) -> None:
    internal = app / "_internal"
    for name in (
        "icons/rearguard.ico",
        "icons/rearguard-256.png",
        "icons/tray-warning-16.png",
        "rearguard.desktop",
    ):
        assert (internal / "resources" / name).is_file(), name
    assert not (internal / "resources" / "screenshot.png").exists()
    assert not (internal / "resources" / "screenshot-failed.png").exists()
    names = {p.name for p in internal.rglob("*")}
    for unwanted in ("mypy", "hypothesis", "_pytest", "rich", "translations"):
        assert unwanted not in names, f"{unwanted} was bundled"
    if sys.platform.startswith("linux"):
        plugins = internal / "PySide6" / "Qt" / "plugins"
        assert (plugins / "platforms" / "libqxcb.so").is_file()
        assert (plugins / "platforms" / "libqwayland.so").is_file()
        for dropped in ("platforms/libqeglfs.so", "platformthemes/libqgtk3.so", "egldeviceintegrations"):
            assert not (plugins / dropped).exists(), dropped
        assert not any(n.startswith("libgtk") for n in names)  # (OpenSSL stays: e-mail over TLS)


def test_smoke_script_used_by_make_package_passes(app: Path) -> None:
    passed = smoke.check(app, engine.__version__)
    assert len(passed) >= 6
