"""Mirror benchmark: ``rearguard mirror`` against rsync (and cp for large files), in the same run.

    python tests/benchmarks/bench_mirror.py --files 100000 --large 8 --large-mib 512

Cases: initial copy of N small files (vs ``cp -a``, ``cp -a`` then ``sync``, and ``rsync -a``),
no-change check of N and of --files-small files (vs ``rsync -a --delete``), large files (vs ``cp -a``
and ``cp -a; sync``), and the peak memory of the no-change and initial-copy runs (vs rsync's).
Round-robin, best of --rounds (medians beside them); before every copy the destination is removed,
dirty pages are written (``sync``), the page cache dropped when allowed, and the source read once.
A Rearguard run flushes its copies to the disk before renaming them; ``cp -a`` and ``rsync -a`` leave
theirs in the page cache, so ``cp -a; sync`` (timed until ``sync`` returns) is shown beside ``cp -a``.
Prints a table, then every ratio of issue 19 next to its goal, met or not.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.datasets import make_large, make_small
from tests.benchmarks.timing import drop_caches, fresh, have, round_robin, timed, timed_rss, warm

# Issue 19's goals: (ratio or figure, comparison, goal).
GOALS = (
    ("initial copy / cp -a", "<=", 1.0),
    ("no change / rsync -a --delete", "<=", 0.85),
    ("no change, small tree / rsync -a --delete", "<=", 1.3),
    ("large files: cp speed share", ">=", 0.90),
    ("max RSS MB, no change", "<", 60.0),
    ("max RSS MB, initial copy", "<", 60.0),
    ("seconds outside the walk", "<", 0.1),
)
TINY_FILES = 5  # the tree of the start-up case: its walk takes next to nothing


def rearguard_argv(src: Path, dst: Path) -> list[str]:
    return [sys.executable, "-m", "engine", "mirror", str(src), str(dst)]


def bench(
    work: Path, files: int, large: int, large_mib: int, rounds: int, files_small: int
) -> dict[str, object]:
    env = {**os.environ, "REARGUARD_HOME": str(work / "home")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a start without cached bytecode is ~70 ms slower
    small = make_small(work / "S", files)
    results: dict[str, object] = {"files": files, "files_small": files_small}
    medians: dict[str, dict[str, float]] = {}
    rss: dict[str, float] = {}
    dst = work / "D"
    can_drop = drop_caches()

    def reset() -> None:
        fresh(dst)
        drop_caches()
        warm(small)

    def measured(name: str, argv: list[str], run_env: dict[str, str] | None = None) -> float:
        seconds, peak = timed_rss(argv, run_env)
        rss[name] = max(rss.get(name, 0.0), peak)
        return seconds

    cases = {"rearguard": lambda: measured("initial copy: rearguard", rearguard_argv(small, dst), env)}
    if have("rsync"):
        cases["rsync -a"] = lambda: measured(
            "initial copy: rsync -a", ["rsync", "-a", f"{small}/", f"{dst}/"]
        )
    cases["cp -a"] = lambda: timed(["cp", "-a", str(small), str(dst)])
    cases["cp -a; sync"] = lambda: timed(["sh", "-c", 'cp -a "$0" "$1" && sync', str(small), str(dst)])
    results["initial"] = round_robin(cases, rounds, reset, medians.setdefault("initial", {}))

    for case, tree, replica in (("nochange", small, dst), ("nochange small", None, work / "D2")):
        tree = tree or make_small(work / "S2", files_small, seed=3)
        fresh(replica)
        timed(rearguard_argv(tree, replica), env)
        nochange = _nochange_cases(case, tree, replica, env, measured)
        for run in nochange.values():
            run()  # warm-up, uncounted
        results[case] = round_robin(nochange, max(rounds, 5), None, medians.setdefault(case, {}))
    fresh(work / "S2")
    fresh(work / "D2")
    results["outside the walk"] = _outside_the_walk(work, env)
    results["readback"] = _readback_cost(work, small, dst, env, max(rounds, 5))

    if large:
        big = make_large(work / "L", large, large_mib)
        big_dst = work / "LD"

        def reset_big() -> None:
            fresh(big_dst)
            drop_caches()
            warm(big)

        results["large"] = round_robin(
            {
                "rearguard": lambda: timed(rearguard_argv(big, big_dst), env),
                "cp -a": lambda: timed(["cp", "-a", str(big), str(big_dst)]),
                "cp -a; sync": lambda: timed(["sh", "-c", 'cp -a "$0" "$1" && sync', str(big), str(big_dst)]),
            },
            rounds,
            reset_big,
            medians.setdefault("large", {}),
        )
    results["medians"] = medians
    results["max_rss_mb"] = rss
    results["caches_dropped"] = can_drop
    return results


def _nochange_cases(
    case: str, tree: Path, dst: Path, env: dict[str, str], measured: Callable[..., float]
) -> dict[str, Callable[[], float]]:
    cases = {"rearguard": lambda: measured(f"{case}: rearguard", rearguard_argv(tree, dst), env)}
    if have("rsync"):
        argv = ["rsync", "-a", "--delete", f"{tree}/", f"{dst}/"]
        cases["rsync -a --delete"] = lambda: measured(f"{case}: rsync -a --delete", argv)
    return cases


def _outside_the_walk(work: Path, env: dict[str, str], runs: int = 25) -> float:
    """Median seconds of a no-change ``rearguard mirror`` of a 5-file tree: all of it is outside a walk.

    Start-up, imports, the state database, the lock, the log and the record of the run.
    """
    tree, replica = work / "T", work / "TD"
    tree.mkdir(exist_ok=True)
    for i in range(TINY_FILES):
        (tree / f"f{i}.txt").write_text(str(i), encoding="utf-8")
    timed(rearguard_argv(tree, replica), env)
    times = sorted(timed(rearguard_argv(tree, replica), env) for _ in range(runs))
    fresh(tree)
    fresh(replica)
    return times[len(times) // 2]


def _readback_cost(work: Path, small: Path, dst: Path, env: dict[str, str], rounds: int) -> dict[str, float]:
    """A no-change run of a profile with ``verify = "off"`` against the same with the default sample.

    One profile, its ``verify`` key switched between timings (two profiles cannot share a replica).
    The sample is what a run reads back: the slices the time since the last sample earned. Runs
    back to back owe none, so before each sampled run the last sample is moved an hour back in the
    state database: one slice of 720 (30-day cycle), what a profile run every hour pays each time.
    """
    profile = work / "home" / "profiles" / "bench.toml"
    profile.parent.mkdir(parents=True, exist_ok=True)

    def run(mode: str) -> float:
        profile.write_text(
            f'kind = "mirror"\n[mirror]\nsource = "{small}"\nreplica = "{dst}"\nverify = "{mode}"\n',
            encoding="utf-8",
        )
        if mode == "sample":
            _hour_since_last_sample(work / "home", "bench")
        return timed([sys.executable, "-m", "engine", "run", "bench"], env)

    run("off")  # warm-up, uncounted
    return round_robin({"verify off": lambda: run("off"), "verify sample": lambda: run("sample")}, rounds)


def _hour_since_last_sample(home: Path, profile: str) -> None:
    """As if the profile's last read-back sample was an hour ago (one slice is due)."""
    import sqlite3
    from datetime import datetime, timedelta

    db = next(home.rglob("state.db"), None)
    if db is None:
        return
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT last_sample FROM readback WHERE profile = ?", (profile,)).fetchone()
        if row and row[0]:
            earlier = datetime.fromisoformat(row[0]) - timedelta(hours=1)
            conn.execute(
                "UPDATE readback SET last_sample = ? WHERE profile = ?", (earlier.isoformat(), profile)
            )
    conn.close()


def ratios(results: dict[str, object]) -> dict[str, float]:
    out: dict[str, float] = {}
    initial = results["initial"]
    assert isinstance(initial, dict)
    out["initial copy / cp -a"] = initial["rearguard"] / initial["cp -a"]
    out["initial copy / cp -a; sync"] = initial["rearguard"] / initial["cp -a; sync"]
    if "rsync -a" in initial:
        out["initial copy / rsync -a"] = initial["rearguard"] / initial["rsync -a"]
    for case, name in (("nochange", "no change"), ("nochange small", "no change, small tree")):
        times = results.get(case)
        if isinstance(times, dict) and "rsync -a --delete" in times:
            out[f"{name} / rsync -a --delete"] = times["rearguard"] / times["rsync -a --delete"]
    readback = results.get("readback")
    if isinstance(readback, dict):
        out["read-back sample: share of a no-change run"] = (
            readback["verify sample"] - readback["verify off"]
        ) / readback["verify off"]
    large = results.get("large")
    if isinstance(large, dict):
        out["large files: cp speed share"] = large["cp -a"] / large["rearguard"]
        out["large files: cp -a; sync speed share"] = large["cp -a; sync"] / large["rearguard"]
    outside = results.get("outside the walk")
    if isinstance(outside, float):
        out["seconds outside the walk"] = outside
    rss = results.get("max_rss_mb")
    if isinstance(rss, dict):
        for case, name in (("nochange", "no change"), ("initial copy", "initial copy")):
            if f"{case}: rearguard" in rss:
                out[f"max RSS MB, {name}"] = rss[f"{case}: rearguard"]
    return out


def goal_lines(found: dict[str, float]) -> list[str]:
    """Each of issue 19's goals beside the figure measured, marked met or not met."""
    lines = []
    for name, comparison, goal in GOALS:
        if name not in found:
            lines.append(f"  goal  {name:44} {'':>7}   {comparison} {goal:<5}  (not measured)")
            continue
        value = found[name]
        met = {"<=": value <= goal, ">=": value >= goal, "<": value < goal}[comparison]
        lines.append(
            f"  goal  {name:44} {value:7.2f}   {comparison} {goal:<5}  {'met' if met else 'NOT MET'}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument(
        "--files-small", type=int, default=20_000, help="the small no-change tree (at most --files / 5)"
    )
    parser.add_argument("--large", type=int, default=8, help="number of large files (0 = skip)")
    parser.add_argument("--large-mib", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
    files_small = max(1, min(args.files_small, args.files // 5))
    with tempfile.TemporaryDirectory(dir=args.work) as scratch:
        results = bench(Path(scratch), args.files, args.large, args.large_mib, args.rounds, files_small)
    results["ratios"] = found = ratios(results)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(
        f"mirror benchmark: {args.files} small files (no-change small tree: {files_small}), "
        f"{args.large} x {args.large_mib} MiB large; best of {args.rounds} (median); "
        f"caches dropped: {results['caches_dropped']}; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores"
    )
    medians = results["medians"]
    assert isinstance(medians, dict)
    for case in ("initial", "nochange", "nochange small", "readback", "large"):
        for tool, seconds in (results.get(case) or {}).items():  # type: ignore[union-attr]
            median = medians.get(case, {}).get(tool)
            shown = f" ({median:.3f})" if median is not None else ""
            print(f"  {case:14} {tool:22} {seconds:8.3f} s{shown}")
    outside = results["outside the walk"]
    print(f"  no change, {TINY_FILES}-file tree (all outside the walk), median {outside:.3f} s")
    for name, peak in results["max_rss_mb"].items():  # type: ignore[union-attr]
        print(f"  max RSS  {name:42} {peak:6.1f} MB")
    if not have("rsync"):
        print("  (rsync is not installed: no rsync ratios; `make bench` installs it where apt-get works)")
    for name, value in found.items():
        if not name.startswith(("max RSS", "seconds")):  # figures, shown above and with the goals
            print(f"  ratio {name:44} {value:7.2f}")
    for line in goal_lines(found):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
