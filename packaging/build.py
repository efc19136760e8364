"""Build the packaged app: PyInstaller (packaging/rearguard.spec), smoke test, archive.

    python packaging/build.py [--dist DIR] [--work DIR] [--no-smoke] [--no-archive]

``make package`` runs exactly this, and so does every job of .github/workflows/release.yml, so a
package built on a laptop and one attached to a release went through the same steps. Output:

    dist/rearguard/                        the app folder: rearguard, rearguard-cli, _internal/
    dist/Rearguard.app                     macOS only: the same app as a bundle
    dist/rearguard-VERSION-OS-ARCH.zip     Windows and macOS (the .app); .tar.gz on Linux
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import smoke
from version_info import app_version

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = HERE / "rearguard.spec"


def platform_tag() -> str:
    """``linux-x86_64``, ``windows-x86_64``, ``macos-arm64``: the archive name's last part."""
    system = {"win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform.rstrip("0123456789"))
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}.get(machine, machine)
    return f"{system}-{machine}"


def pyinstaller(dist: Path, work: Path) -> None:
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
               "--distpath", str(dist), "--workpath", str(work), str(SPEC)]  # fmt: skip
    print("build:", " ".join(command), flush=True)
    subprocess.run(command, cwd=ROOT, check=True)


def archive(dist: Path, version: str) -> Path:
    """One file to download: what a user unpacks and double-clicks."""
    base = dist / f"rearguard-{version}-{platform_tag()}"
    if sys.platform == "darwin":
        # ditto keeps the bundle's symlinks and signatures, which zipfile would flatten
        target = base.with_suffix(".zip")
        subprocess.run(
            ["ditto", "-c", "-k", "--keepParent", str(dist / "Rearguard.app"), str(target)], check=True
        )
        return target
    kind = "zip" if sys.platform == "win32" else "gztar"  # tar keeps the executable bits
    return Path(shutil.make_archive(str(base), kind, root_dir=dist, base_dir="rearguard"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default dist/)")
    parser.add_argument(
        "--work", type=Path, default=ROOT / "build", help="PyInstaller's work folder (build/)"
    )
    parser.add_argument("--no-smoke", action="store_true", help="skip the smoke test of the built app")
    parser.add_argument("--no-archive", action="store_true", help="do not write the .zip / .tar.gz")
    args = parser.parse_args()
    dist, work, version = args.dist.resolve(), args.work.resolve(), app_version()

    started = time.perf_counter()
    pyinstaller(dist, work)
    app = dist / "rearguard"
    print(f"build: {app} in {time.perf_counter() - started:.1f} s", flush=True)

    if not args.no_smoke:
        try:
            for line in smoke.check(app, version):
                print(f"smoke: ok  {line}", flush=True)
            numbers = smoke.measure(app, repeat=1)
        except (smoke.SmokeFailure, subprocess.TimeoutExpired, ValueError, KeyError) as error:
            print(f"smoke: FAILED: {error}", file=sys.stderr)
            return 1
        print(f"smoke: {smoke.summary(numbers, repeat=1)}")
    if not args.no_archive:
        print(f"archive: {archive(dist, version)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
