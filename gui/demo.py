"""``python -m gui.demo`` (``make run``): a sample folder, a ``demo`` mirror profile, and the window.

Everything lives under ``$REARGUARD_HOME`` (default: ``.demo-home/`` in the current folder), so
the demo works on any machine and touches nothing else. An existing demo profile is kept as the
user left it.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections.abc import Sequence
from pathlib import Path

from engine.core.folders import HOME_ENV, app_folders
from engine.core.profile_store import save_profile
from engine.core.profiles import MirrorProfile, profile_path

DEMO_NAME = "demo"
PROJECTS = {
    "2024-017 Tower A": ["Architecture", "Structure", "MEP", "Drawings/Issued", "Drawings/Working"],
    "2023-102 School": ["Architecture", "Landscape", "Photos"],
    "2025-004 Bridge": ["Survey", "Structure", "Reports"],
    "Office": ["Templates", "Standards"],
}
WORDS = ("plan", "section", "detail", "elevation", "schedule", "notes", "survey", "model", "sheet")
EXTENSIONS = (".pdf", ".dwg", ".txt", ".xlsx", ".docx", ".jpg")


def demo_home() -> Path:
    """``$REARGUARD_HOME``, or ``.demo-home`` in the current folder (and set it for the app)."""
    home = os.environ.get(HOME_ENV, "").strip()
    path = Path(home).expanduser().absolute() if home else Path.cwd() / ".demo-home"
    os.environ[HOME_ENV] = str(path)
    return path


def make_sample(source: Path, seed: int = 17) -> int:
    """A projects folder of a few hundred files (a few large ones); returns how many files."""
    rng = random.Random(seed)
    count = 0
    for project, folders in PROJECTS.items():
        for folder in folders:
            where = source / project / folder
            where.mkdir(parents=True, exist_ok=True)
            for number in range(rng.randint(8, 30)):
                name = f"{rng.choice(WORDS)}-{number:03}{rng.choice(EXTENSIONS)}"
                size = rng.choice((300, 2_000, 15_000, 80_000, 250_000))
                (where / name).write_bytes(rng.randbytes(size))
                count += 1
        big = source / project / f"{project.split(' ', 1)[-1].replace(' ', '_')}_central.rvt"
        big.write_bytes(rng.randbytes(rng.randint(3, 8) * 1024 * 1024))
        count += 1
    (source / "README.txt").write_text("Sample files for the Rearguard demo; safe to delete.\n")
    return count + 1


def prepare(home: Path) -> str:
    """Create the sample folder and the demo profile if missing; returns the profile's name."""
    folders = app_folders({HOME_ENV: str(home)}).create()
    source, replica = home / "demo-data" / "Projects", home / "demo-data" / "Replica"
    if not source.exists():
        make_sample(source)
    if not profile_path(folders, DEMO_NAME).exists():
        spec = MirrorProfile.model_validate(
            {
                "kind": "mirror",
                "description": "Sample projects folder to a replica folder",
                "schedule": {"every": "4h"},
                "mirror": {"source": str(source), "replica": str(replica), "exclude": ["*.tmp", "~$*"]},
            }
        )
        save_profile(folders, DEMO_NAME, spec)
    return DEMO_NAME


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gui.demo",
        description="Open Rearguard on a demo profile (sample data under "
        "$REARGUARD_HOME, default ./.demo-home).",
    )
    parser.add_argument("--quit-after", type=float, metavar="SECONDS")
    parser.add_argument("--screenshot", type=Path, metavar="FILE.png")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    home = demo_home()
    name = prepare(home)
    print(f"Rearguard demo: profiles, logs and sample data in {home}")
    from gui.app import run_window  # Qt loads only after the sample is ready

    return run_window(quit_after=args.quit_after, screenshot=args.screenshot, select=name)


if __name__ == "__main__":
    sys.exit(main())
