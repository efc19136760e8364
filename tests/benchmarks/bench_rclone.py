"""rclone benchmark: Rearguard's rclone kind against three ways of using rclone by hand, same run.

    python tests/benchmarks/bench_rclone.py --files 100000 --changes 1,200 --rounds 3

The remote is a loopback ``rclone serve sftp`` on 127.0.0.1 (tests/fakes/rclone_server.py). For
each change count, every round changes a fresh set of seeded files (one byte appended: size and
mtime move; untimed) before each of these, which run in turn:

- rearguard      ``python -m engine run bench --json`` (a whole CLI process: start-up, scan of the
                 source, index, one batched upload that is also the reachability check, record, and
                 the read-back sample after the run: what it uploaded plus the slice due)
- rearguard, verify copied   the same with ``verify = "copied"``: only what the run uploaded is
                 read back, no slice of the older files (shows what the rotating sample costs)
- rclone sync    ``rclone sync SRC SF:S`` (lists both sides; Rearguard's versions folder excluded)
- per-file calls one ``rclone copyto`` per changed file (the way Rearguard replaces)
- by hand        ``rclone copy SRC SF:S --files-from-raw LIST --no-traverse`` with the list known

How the starting state is made honest without a four-minute upload of 100,000 small files through
sftp: the source is copied into the served folder with a local ``rclone copy`` (what an sftp upload
would leave there, but fast); then Rearguard's first run against the sftp remote builds the index
the way it does for any remote that already holds the files (it lists both sides and adopts what
matches in size and time). A dry run then must plan nothing and ``rclone check`` must find no
difference before anything is timed. Before each timed Rearguard run, an untimed one takes in the
files the other methods changed, so every method uploads exactly its own changes.
Prints medians (min), the ratios, and the goals; the one-change case as one line against its goal
(issue 19: at most 0.5 s, and at least 3x faster than ``rclone sync``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.jobs.rclone.preflight import find_rclone
from tests.benchmarks.datasets import make_small
from tests.fakes.rclone_server import SftpServer, serve_sftp

COPIED = "rearguard, verify copied"
METHODS = ("rearguard", COPIED, "rclone sync", "per-file calls", "by hand")
GOALS = (  # (changes: 1 or many, method, wanted ratio method/rearguard, wording)
    ("many", "per-file calls", 10.0, ">= 10x faster than per-file calls for many changes"),
)
HAND_GOAL = 1.2  # Rearguard within 1.2x of the hand-made batched call
ONE_CHANGE_SECONDS = 0.5  # one change in a big tree: at most this long (whole command) ...
ONE_CHANGE_VS_SYNC = 3.0  # ... and at least this many times faster than `rclone sync`


@dataclass
class Bench:
    work: Path
    source: Path
    server: SftpServer
    rclone: str
    env: dict[str, str]
    remote: str = "SF:S"
    times: dict[int, dict[str, list[float]]] = field(default_factory=dict)
    engine: dict[int, list[float]] = field(default_factory=dict)
    others_changed: set[str] = field(default_factory=set)  # changed and uploaded by other methods

    def rclone_run(self, *args: str) -> float:
        return _timed([self.rclone, *args], self.env)

    def rearguard(self, expect_done: int | None = None, verify: str = "") -> tuple[float, dict[str, object]]:
        """One ``rearguard run``; ``verify`` other than the default is set in the profile for it alone."""
        _write_profile(self.work, self.source, verify)
        try:
            return self._rearguard(expect_done)
        finally:
            if verify:
                _write_profile(self.work, self.source)

    def _rearguard(self, expect_done: int | None) -> tuple[float, dict[str, object]]:
        argv = [sys.executable, "-m", "engine", "run", "bench", "--json"]
        start = time.perf_counter()
        done = subprocess.run(argv, env=self.env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(
                f"rearguard run failed ({done.returncode}): {done.stdout[-800:]} {done.stderr[-800:]}"
            )
        report: dict[str, object] = json.loads(done.stdout)
        counts = report["counts"]
        assert isinstance(counts, dict)
        if expect_done is not None and counts["done"] != expect_done:
            items = report["items"]
            raise RuntimeError(f"rearguard uploaded {counts['done']} files, expected {expect_done}: {items}")
        return seconds, report


def _write_profile(work: Path, source: Path, verify: str = "") -> None:
    profiles = work / "home" / "profiles"
    profiles.mkdir(parents=True, exist_ok=True)
    (profiles / "bench.toml").write_text(
        'kind = "rclone"\n[rclone]\n'
        f'source = {json.dumps(str(source))}\nremote = "SF:S"\ninclude_hidden = true\n'
        + (f"verify = {json.dumps(verify)}\n" if verify else ""),
        encoding="utf-8",
    )


def _timed(argv: Sequence[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(list(argv), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} failed ({done.returncode}): {done.stderr.decode()[-800:]}")
    return seconds


def _touch(source: Path, paths: Sequence[str]) -> None:
    for rel in paths:
        with open(source / rel, "ab") as handle:
            handle.write(b"x")


def _engine_seconds(report: dict[str, object]) -> float:
    started, finished = report["started"], report["finished"]
    assert isinstance(started, str) and isinstance(finished, str)
    return (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()


def prepare(work: Path, files: int, server: SftpServer) -> Bench:
    """Dataset, the seeded remote, and Rearguard's index built by its own first run."""
    source = make_small(work / "S", files)
    rclone = server.rclone
    empty = work / "empty-rclone.conf"
    empty.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RCLONE_")}
    env.update(server.env("SF"), RCLONE_CONFIG=str(empty), REARGUARD_HOME=str(work / "home"))
    _write_profile(work, source)
    bench = Bench(work, source, server, rclone, env)
    seconds = bench.rclone_run("copy", str(source), str(server.root / "S"))
    print(f"seeded the served folder with a local rclone copy: {seconds:.1f} s", flush=True)
    seconds, report = bench.rearguard()
    counts = report["counts"]
    print(
        f"Rearguard's first run adopted the remote and built its index: {seconds:.1f} s {counts}", flush=True
    )
    done = subprocess.run(
        [sys.executable, "-m", "engine", "run", "bench", "--dry-run", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    planned = json.loads(done.stdout)["actions"]
    if planned:
        raise RuntimeError(f"after seeding, a dry run still plans {len(planned)} action(s)")
    bench.rclone_run("check", str(source), bench.remote, "--one-way", "--exclude", "/.rearguard/**")
    print("checked: the dry run plans nothing and rclone check finds no difference", flush=True)
    return bench


def measure(bench: Bench, changes: int, rounds: int, seed_base: int) -> None:
    """One warm-up round (uncounted), then ``rounds`` rounds of all methods in turn."""
    everything = sorted(
        p.relative_to(bench.source).as_posix() for p in bench.source.rglob("*") if p.is_file()
    )
    times: dict[str, list[float]] = {m: [] for m in METHODS}
    engine: list[float] = []
    listing = bench.work / f"list-{changes}.txt"

    def run_rearguard(paths: list[str]) -> float:
        seconds, report = bench.rearguard(expect_done=len(paths))
        engine.append(_engine_seconds(report))
        return seconds

    def run_copied(paths: list[str]) -> float:
        return bench.rearguard(expect_done=len(paths), verify="copied")[0]

    def run_sync(paths: list[str]) -> float:
        return bench.rclone_run("sync", str(bench.source), bench.remote, "--exclude", "/.rearguard/**")

    def run_per_file(paths: list[str]) -> float:
        total = 0.0
        for rel in paths:
            total += bench.rclone_run("copyto", str(bench.source / rel), f"{bench.remote}/{rel}")
        return total

    def run_by_hand(paths: list[str]) -> float:
        listing.write_bytes(b"".join(p.encode() + b"\n" for p in paths))
        return bench.rclone_run(
            "copy", str(bench.source), bench.remote, "--files-from-raw", str(listing), "--no-traverse"
        )

    runners: dict[str, Callable[[list[str]], float]] = {
        "rearguard": run_rearguard,
        COPIED: run_copied,
        "rclone sync": run_sync,
        "per-file calls": run_per_file,
        "by hand": run_by_hand,
    }
    for round_no in range(rounds + 1):
        if bench.others_changed:
            # The other methods' changes are news to Rearguard's index: bring it up to date untimed,
            # so the timed run uploads exactly its own changes, like the others.
            bench.rearguard(expect_done=len(bench.others_changed))
            bench.others_changed.clear()
        for index, method in enumerate(METHODS):
            paths = sorted(random.Random(seed_base + 100 * round_no + index).sample(everything, changes))
            _touch(bench.source, paths)
            seconds = runners[method](paths)
            if method not in ("rearguard", COPIED):
                bench.others_changed.update(paths)
            if round_no > 0:
                times[method].append(seconds)
            elif method == "rearguard":
                engine.clear()
        print(
            f"  {changes} change(s), round {round_no or 'warm-up'}: "
            + ", ".join(f"{m} {times[m][-1]:.3f}s" for m in METHODS if round_no and times[m]),
            flush=True,
        )
    bench.times[changes] = times
    bench.engine[changes] = engine


def _fmt(values: list[float]) -> str:
    return f"{statistics.median(values):7.3f} ({min(values):.3f})"


def one_change_line(bench: Bench, files: int) -> str:
    """The smallest change count (one, in ``make bench``) against issue 19's goal, as one line."""
    changes = min(bench.times)
    times = bench.times[changes]
    ours, sync = statistics.median(times["rearguard"]), statistics.median(times["rclone sync"])
    copied = statistics.median(times[COPIED])
    met = ours <= ONE_CHANGE_SECONDS and sync / ours >= ONE_CHANGE_VS_SYNC
    return (
        f"rclone {changes} change in {files}, sftp: Rearguard {ours:.2f} s, rclone sync {sync:.2f} s, "
        f"ratio {sync / ours:.1f}× (goal ≤ {ONE_CHANGE_SECONDS} s and ≥ {ONE_CHANGE_VS_SYNC:g}× faster) "
        f"-> {'met' if met else 'NOT met'}\n"
        f'  with verify = "copied" (no slice of older files read back): Rearguard {copied:.2f} s, '
        f"ratio {sync / copied:.1f}×"
    )


def report(bench: Bench, files: int) -> str:
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    lines = [
        f"\nrclone kind, {files} files, loopback sftp; wall seconds, median (min); "
        f"{os.cpu_count()} cores, load average {load}",
        "",
    ]
    width = {m: max(17, len(m)) for m in METHODS}
    header = (
        f"{'changes':>8} | " + " | ".join(f"{m:>{width[m]}}" for m in METHODS) + " | rearguard engine only"
    )
    lines += [header, "-" * len(header)]
    for changes, times in bench.times.items():
        row = f"{changes:>8} | " + " | ".join(f"{_fmt(times[m]):>{width[m]}}" for m in METHODS)
        lines.append(row + f" | {_fmt(bench.engine[changes])}")
    lines.append("")
    smallest, largest = min(bench.times), max(bench.times)
    for changes, times in bench.times.items():
        ours = statistics.median(times["rearguard"])
        sync = statistics.median(times["rclone sync"]) / ours
        per_file = statistics.median(times["per-file calls"]) / ours
        hand = ours / statistics.median(times["by hand"])
        lines.append(
            f"ratio, {changes} change(s): rclone sync / rearguard = {sync:.1f}x, per-file calls / "
            f"rearguard = {per_file:.1f}x, rearguard / by hand = {hand:.2f}x"
        )
    lines += ["", one_change_line(bench, files)]
    for which, method, wanted, words in GOALS:
        changes = smallest if which == "one" else largest
        ratio = statistics.median(bench.times[changes][method]) / statistics.median(
            bench.times[changes]["rearguard"]
        )
        lines.append(f"goal {words}: {ratio:.1f}x -> {'met' if ratio >= wanted else 'NOT met'}")
    for changes in bench.times:
        ratio = statistics.median(bench.times[changes]["rearguard"]) / statistics.median(
            bench.times[changes]["by hand"]
        )
        state = "met" if ratio <= HAND_GOAL else "NOT met"  # includes the read-back sample
        lines.append(
            f"goal within {HAND_GOAL}x of the hand-made call, {changes} change(s): {ratio:.2f}x -> {state}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=int(os.environ.get("BENCH_FILES", "100000")))
    parser.add_argument("--changes", default="1,200", help="comma-separated change counts")
    parser.add_argument("--rounds", type=int, default=3, help="counted rounds (plus one warm-up)")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)
    changes = [int(c) for c in args.changes.split(",") if c.strip()]
    if max(changes) > args.files:
        parser.error("--changes cannot exceed --files")
    work = args.work or Path(tempfile.mkdtemp(prefix="rearguard-bench-rclone-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        with serve_sftp(work / "served", rclone=find_rclone()) as server:
            bench = prepare(work, args.files, server)
            for count in changes:
                measure(bench, count, args.rounds, seed_base=count)
            print(report(bench, args.files), flush=True)
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
