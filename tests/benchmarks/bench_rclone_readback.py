"""What reading an rclone remote back costs: the sample after a run, and ``rearguard verify --full``.

    python tests/benchmarks/bench_rclone_readback.py --files 20000 --changes 100 --rounds 3

For a local-folder remote and the loopback sftp server (tests/fakes/rclone_server.py), as a user
runs it (``python -m engine ... --json``, a whole CLI process each time):

- run, no change        a run that uploads nothing, with ``verify = "off"`` and with ``"sample"``
- run, N changes        a run that uploads N changed files (one byte appended), off and sample
- verify (by hand)      ``rearguard verify`` without --full: a day's share of the slices
- verify --full         every indexed file read back with one ``rclone check``

The difference between the "off" and "sample" runs is the after-run sample's cost. The remote is
seeded with a local ``rclone copy`` and the first run adopts it (as bench_rclone.py does).
Prints medians (min) in seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.jobs.rclone.preflight import find_rclone
from tests.benchmarks.datasets import make_small
from tests.fakes.rclone_server import serve_sftp

ROOT = Path(__file__).resolve().parents[2]


class Cli:
    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home = home
        self.env = {**os.environ, **env, "REARGUARD_HOME": str(home)}

    def profile(self, source: Path, remote: str, verify: str) -> None:
        folder = self.home / "profiles"
        folder.mkdir(parents=True, exist_ok=True)
        text = (
            f'kind = "rclone"\n[rclone]\nsource = {json.dumps(str(source))}\n'
            f'remote = {json.dumps(remote)}\nverify = "{verify}"\n'
        )
        (folder / "bench.toml").write_text(text, encoding="utf-8")

    def __call__(self, *args: str) -> tuple[float, dict[str, object]]:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "engine", *args, "--json"],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=ROOT,
            check=False,
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"{args} exit {done.returncode}: {done.stdout[-2000:]} {done.stderr[-2000:]}")
        return seconds, json.loads(done.stdout)


def change(source: Path, files: list[Path], count: int, rng: random.Random) -> None:
    for path in rng.sample(files, count):
        with open(path, "ab") as handle:
            handle.write(b"x")


def measure(name: str, cli: Cli, source: Path, remote: str, changes: int, rounds: int) -> None:
    files = [p for p in source.rglob("*") if p.is_file() and not any(s.startswith(".") for s in p.parts)]
    rng = random.Random(7)
    cli.profile(source, remote, "off")
    seconds, report = cli("run", "bench")
    print(f"[{name}] first run (adopts {report['counts']}): {seconds:.1f} s")
    rows: dict[str, list[float]] = {}
    notes: dict[str, str] = {}

    def timed(label: str, verify: str, before: Callable[[], None], *args: str) -> None:
        before()
        cli.profile(source, remote, verify)
        seconds, report = cli(*args)
        rows.setdefault(label, []).append(seconds)
        counts = report.get("counts") if args[0] == "verify" else None
        notes[label] = (f"{counts} " if counts else "") + str(report.get("readback") or "")

    for _ in range(rounds):
        timed("run, no change, verify=off", "off", lambda: None, "run", "bench")
        timed("run, no change, verify=sample", "sample", lambda: None, "run", "bench")
        timed(
            f"run, {changes} changes, verify=off",
            "off",
            lambda: change(source, files, changes, rng),
            "run",
            "bench",
        )
        timed(
            f"run, {changes} changes, verify=sample",
            "sample",
            lambda: change(source, files, changes, rng),
            "run",
            "bench",
        )
        timed("verify (a day's share)", "sample", lambda: None, "verify", "bench")
        timed("verify --full", "sample", lambda: None, "verify", "bench", "--full")
    for label, values in rows.items():
        print(
            f"[{name}] {label:34} {statistics.median(values):6.2f} s (min {min(values):.2f})  {notes[label]}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=["local", "sftp"], default=None)
    args = parser.parse_args()
    rclone = find_rclone()
    with tempfile.TemporaryDirectory(prefix="rg-readback-bench-") as tmp:
        work = Path(tmp)
        source = make_small(work / "src", args.files)
        empty = work / "rclone.conf"
        empty.write_text("")
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("RCLONE_")}
        base_env["RCLONE_CONFIG"] = str(empty)
        os.environ.clear()
        os.environ.update(base_env)
        seed = ["--config", str(empty), "--transfers", "16"]
        if args.only in (None, "local"):
            remote = work / "remote"
            subprocess.run([rclone, "copy", *seed, str(source), str(remote)], check=True)
            measure("local", Cli(work / "home-local", {}), source, str(remote), args.changes, args.rounds)
        if args.only in (None, "sftp"):
            with serve_sftp(work / "served") as server:
                subprocess.run([rclone, "copy", *seed, str(source), str(work / "served" / "s")], check=True)
                env = {**server.env("SF"), "RCLONE_SFTP_KNOWN_HOSTS_FILE": "none"}
                measure("sftp", Cli(work / "home-sftp", env), source, "SF:s", args.changes, args.rounds)


if __name__ == "__main__":
    main()
