"""Smoke-test a built Rearguard folder the way a user would meet it, and time its start.

    python packaging/smoke.py dist/rearguard [--repeat 5] [--cold]

Checks, each in a fresh private home so nothing of the machine's own profiles is touched:
  rearguard-cli --version                  prints the engine's version
  rearguard-cli run DEMO --dry-run --json  plans a tiny mirror profile
  rearguard-cli run OFFSITE --dry-run ...  plans an rclone profile with the bundled rclone (PATH has none)
  rearguard gui --quit-after 2 --screenshot  opens the window offscreen and saves a picture of it
  nothing is written inside the app folder, with REARGUARD_HOME and without it (user folders)
Then prints the folder's size and the best of --repeat start times (``--version``; window shown,
drawn and closed again), with --cold also with the app's files dropped from the OS file cache first.
Standard library only: it runs where only the built app and a Python are.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

EXE_SUFFIX = ".exe" if sys.platform == "win32" else ""
GUI_EXE = "rearguard" + EXE_SUFFIX
CLI_EXE = "rearguard-cli" + EXE_SUFFIX
RCLONE = "rclone" + EXE_SUFFIX
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TIMEOUT = 120.0


class SmokeFailure(Exception):
    """One check failed; the message says which and shows the program's output."""


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def tree_listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def clean_path() -> str:
    """PATH without any folder holding an rclone, so only the bundled one can be found."""
    keep = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and not (Path(d) / RCLONE).exists()]
    return os.pathsep.join(keep)


def make_home(root: Path) -> Path:
    """A private REARGUARD_HOME with two tiny profiles: DEMO (mirror) and OFFSITE (rclone)."""
    source, replica, remote = root / "source", root / "replica", root / "remote"
    (source / "sub").mkdir(parents=True)
    replica.mkdir()
    remote.mkdir()
    (source / "a.txt").write_text("hello\n", encoding="utf-8")
    (source / "sub" / "b.txt").write_text("world\n", encoding="utf-8")
    home = root / "home"
    profiles = home / "profiles"
    profiles.mkdir(parents=True)
    src, rep, rem = (json.dumps(str(p)) for p in (source, replica, remote))  # TOML basic strings
    (profiles / "DEMO.toml").write_text(
        f'kind = "mirror"\n[mirror]\nsource = {src}\nreplica = {rep}\n', encoding="utf-8"
    )
    (profiles / "OFFSITE.toml").write_text(
        f'kind = "rclone"\n[rclone]\nsource = {src}\nremote = {rem}\n', encoding="utf-8"
    )
    return home


def run(exe: Path, args: Sequence[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(exe), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def expect(proc: subprocess.CompletedProcess[str], what: str, code: int = 0) -> None:
    if proc.returncode != code:
        raise SmokeFailure(
            f"{what}: exit {proc.returncode}, expected {code}\n"
            f"--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}"
        )


def base_env(home: Path | None, scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REARGUARD_HOME"}
    env.update(QT_QPA_PLATFORM="offscreen", PATH=clean_path())
    if home is not None:
        env["REARGUARD_HOME"] = str(home)
    else:  # where platformdirs puts user folders on Linux and macOS (Windows asks the shell instead)
        user = scratch / "user"
        env.update(HOME=str(user), XDG_CONFIG_HOME=str(user / "config"), XDG_DATA_HOME=str(user / "data"),
                   XDG_STATE_HOME=str(user / "state"), XDG_CACHE_HOME=str(user / "cache"))  # fmt: skip
    return env


def check(app: Path, version: str | None = None) -> list[str]:
    """Run every check against the folder ``app``; returns what passed, raises SmokeFailure."""
    app = app.resolve()  # the programs run in a scratch folder
    gui, cli = app / GUI_EXE, app / CLI_EXE
    for exe in (gui, cli):
        if not exe.is_file():
            raise SmokeFailure(f"{exe} is missing")
    if not any(p.name == RCLONE for p in app.rglob(RCLONE)):
        raise SmokeFailure(f"no bundled {RCLONE} under {app}")
    passed: list[str] = []
    before = tree_listing(app)
    with tempfile.TemporaryDirectory(prefix="rearguard-smoke-") as tmp:
        scratch = Path(tmp)
        home = make_home(scratch)
        env = base_env(home, scratch)

        proc = run(cli, ["--version"], env, scratch)
        expect(proc, "--version")
        printed = proc.stdout.strip()
        if not printed.startswith("rearguard ") or (version and printed != f"rearguard {version}"):
            raise SmokeFailure(f"--version printed {printed!r}, expected 'rearguard {version or 'X.Y.Z'}'")
        passed.append(f"--version: {printed}")

        proc = run(cli, ["run", "DEMO", "--dry-run", "--json"], env, scratch)
        expect(proc, "run DEMO --dry-run --json")
        plan = json.loads(proc.stdout)
        copied = sorted(a["path"] for a in plan["actions"] if a["action"] == "copy" and not a.get("dir"))
        if plan["kind"] != "mirror" or copied != ["a.txt", "sub/b.txt"]:
            raise SmokeFailure(f"mirror dry run planned {plan['actions']!r}")
        if any((scratch / "replica").iterdir()):
            raise SmokeFailure("a dry run wrote into the replica")
        passed.append(f"run DEMO --dry-run --json: {len(plan['actions'])} actions")

        proc = run(cli, ["run", "OFFSITE", "--dry-run", "--json"], env, scratch)
        expect(proc, "run OFFSITE --dry-run --json (bundled rclone)")
        plan = json.loads(proc.stdout)
        uploads = sorted(a["path"] for a in plan["actions"] if a["action"] == "upload")
        if uploads != ["a.txt", "sub/b.txt"]:
            raise SmokeFailure(f"rclone dry run planned {plan['actions']!r}")
        passed.append(f"run OFFSITE --dry-run --json: bundled rclone {plan.get('rclone', '?')}")

        shot = scratch / "shot.png"
        proc = run(gui, ["gui", "--quit-after", "2", "--screenshot", str(shot)], env, scratch)
        expect(proc, "gui --quit-after 2 --screenshot")
        if not shot.is_file() or shot.read_bytes()[:8] != PNG_MAGIC:
            raise SmokeFailure(f"gui --screenshot did not save a PNG at {shot}")
        passed.append(f"gui --quit-after 2 --screenshot: {shot.stat().st_size} byte PNG")

        if not (home / "data").is_dir():
            raise SmokeFailure(f"nothing was written to REARGUARD_HOME ({home})")
        user_env = base_env(None, scratch)
        proc = run(cli, ["list"], user_env, scratch)
        expect(proc, "list (user folders, no REARGUARD_HOME)")
        passed.append("list with the user's folders")
        bundle = app.parent / "Rearguard.app" / "Contents" / "MacOS" / CLI_EXE
        if sys.platform == "darwin":
            proc = run(bundle, ["--version"], env, scratch)
            expect(proc, "Rearguard.app: rearguard-cli --version")
            passed.append("Rearguard.app starts")
    added = tree_listing(app) - before
    if added:
        raise SmokeFailure(f"the app wrote inside its own folder: {sorted(added)[:10]}")
    passed.append("nothing written inside the app folder")
    return passed


def evict_from_page_cache(folder: Path) -> bool:
    """Drop the folder's files from the OS file cache, so the next start reads them from disk (cold).

    Linux only (posix_fadvise); needs no privileges. Returns False where it cannot be done.
    """
    if not hasattr(os, "posix_fadvise"):
        return False
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
    return True


def best_time(
    exe: Path, args: Sequence[str], env: dict[str, str], cwd: Path, repeat: int, cold: Path | None = None
) -> float:
    """Best wall time of ``repeat`` runs; with ``cold``, that folder is evicted from the cache first."""
    times = []
    for _ in range(repeat):
        if cold is not None:
            evict_from_page_cache(cold)
        start = time.perf_counter()
        proc = run(exe, args, env, cwd)
        times.append(time.perf_counter() - start)
        expect(proc, " ".join(args))
    return min(times)


def measure(app: Path, repeat: int, cold: bool = False) -> dict[str, float]:
    """Size in MiB (what ``du -sh`` shows) and best-of-``repeat`` start times in seconds.

    The window time runs ``gui --quit-after 0 --screenshot``: the window is built, shown, fully
    painted (the screenshot grabs a paint), saved as PNG and closed: an upper bound for "visible".
    """
    app = app.resolve()
    with tempfile.TemporaryDirectory(prefix="rearguard-time-") as tmp:
        scratch = Path(tmp)
        env = base_env(make_home(scratch), scratch)
        window = ["gui", "--quit-after", "0", "--screenshot", str(scratch / "shot.png")]
        rclone = next(app.rglob(RCLONE))
        numbers = {
            "size_mib": folder_size(app) / 2**20,
            "rclone_mib": rclone.stat().st_size / 2**20,
            "version_s": best_time(app / CLI_EXE, ["--version"], env, scratch, repeat),
            "window_s": best_time(app / GUI_EXE, window, env, scratch, repeat),
        }
        if cold and hasattr(os, "posix_fadvise"):
            numbers["cold_version_s"] = best_time(app / CLI_EXE, ["--version"], env, scratch, repeat, app)
            numbers["cold_window_s"] = best_time(app / GUI_EXE, window, env, scratch, repeat, app)
        return numbers


def summary(numbers: dict[str, float], repeat: int) -> str:
    text = (
        f"size {numbers['size_mib']:.0f} MiB (rclone {numbers['rclone_mib']:.0f} MiB of it); "
        f"best of {repeat}: --version {numbers['version_s']:.2f} s, "
        f"window shown, drawn and closed {numbers['window_s']:.2f} s"
    )
    if "cold_window_s" in numbers:
        text += (
            f"; cold (app folder out of the file cache): --version {numbers['cold_version_s']:.2f} s, "
            f"window {numbers['cold_window_s']:.2f} s"
        )
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("app", type=Path, help="the built folder, e.g. dist/rearguard")
    parser.add_argument("--version", dest="expected_version", help="the version --version must print")
    parser.add_argument("--repeat", type=int, default=1, help="timing runs; the best is shown (default 1)")
    parser.add_argument("--cold", action="store_true", help="also time cold starts (Linux: evicts the cache)")
    args = parser.parse_args(argv)
    try:
        for line in check(args.app, args.expected_version):
            print(f"  ok  {line}")
        numbers = measure(args.app, max(1, args.repeat), cold=args.cold)
    except (SmokeFailure, subprocess.TimeoutExpired, json.JSONDecodeError, KeyError) as error:
        print(f"smoke test FAILED: {error}", file=sys.stderr)
        return 1
    print(f"  {summary(numbers, args.repeat)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
