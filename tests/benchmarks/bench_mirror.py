"""Mirror benchmark: ``rearguard mirror`` against rsync (and cp for large files), in the same run.

    python tests/benchmarks/bench_mirror.py --files 100000 --large 4 --large-mib 256

Cases: initial copy of N small files (vs ``rsync -a``), no-change check (vs ``rsync -a --delete``),
large files (vs ``cp -a``). Best of --rounds, round-robin, caches dropped before copies when allowed.
Prints a table and the ratios (Rearguard / reference; below 1.0 means faster).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.datasets import make_large, make_small
from tests.benchmarks.timing import drop_caches, fresh, have, round_robin, timed, warm


def rearguard_argv(src: Path, dst: Path) -> list[str]:
    return [sys.executable, "-m", "engine", "mirror", str(src), str(dst)]


def bench(work: Path, files: int, large: int, large_mib: int, rounds: int) -> dict[str, object]:
    env = {**os.environ, "REARGUARD_HOME": str(work / "home")}
    small = make_small(work / "S", files)
    results: dict[str, object] = {"files": files}
    dst = work / "D"
    can_drop = drop_caches()

    def reset() -> None:
        fresh(dst)
        drop_caches()
        warm(small)

    cases = {"rearguard": lambda: timed(rearguard_argv(small, dst), env)}
    if have("rsync"):
        cases["rsync -a"] = lambda: timed(["rsync", "-a", f"{small}/", f"{dst}/"])
    cases["cp -a"] = lambda: timed(["cp", "-a", str(small), str(dst)])
    initial = round_robin(cases, rounds, reset)
    results["initial"] = initial

    fresh(dst)
    timed(rearguard_argv(small, dst), env)
    nochange = {"rearguard": lambda: timed(rearguard_argv(small, dst), env)}
    if have("rsync"):
        nochange["rsync -a --delete"] = lambda: timed(["rsync", "-a", "--delete", f"{small}/", f"{dst}/"])
    for case in nochange.values():
        case()  # warm-up, uncounted
    results["nochange"] = round_robin(nochange, max(rounds, 5))
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
            },
            rounds,
            reset_big,
        )
    results["caches_dropped"] = can_drop
    return results


def _readback_cost(work: Path, small: Path, dst: Path, env: dict[str, str], rounds: int) -> dict[str, float]:
    """A no-change run of a profile with ``verify = "off"`` against the same with the default sample.

    One profile, its ``verify`` key switched between timings (two profiles cannot share a replica).
    The sample is what a run reads back: the slices due since the last run (runs back to back owe
    none, so this is the least, one slice, of 720) — the cost a frequent schedule pays every time.
    """
    profile = work / "home" / "profiles" / "bench.toml"
    profile.parent.mkdir(parents=True, exist_ok=True)

    def run(mode: str) -> float:
        profile.write_text(
            f'kind = "mirror"\n[mirror]\nsource = "{small}"\nreplica = "{dst}"\nverify = "{mode}"\n',
            encoding="utf-8",
        )
        return timed([sys.executable, "-m", "engine", "run", "bench"], env)

    run("off")  # warm-up, uncounted
    return round_robin({"verify off": lambda: run("off"), "verify sample": lambda: run("sample")}, rounds)


def ratios(results: dict[str, object]) -> dict[str, float]:
    out: dict[str, float] = {}
    initial = results["initial"]
    nochange = results["nochange"]
    assert isinstance(initial, dict) and isinstance(nochange, dict)
    if "rsync -a" in initial:
        out["initial copy / rsync -a"] = initial["rearguard"] / initial["rsync -a"]
    out["initial copy / cp -a"] = initial["rearguard"] / initial["cp -a"]
    if "rsync -a --delete" in nochange:
        out["no change / rsync -a --delete"] = nochange["rearguard"] / nochange["rsync -a --delete"]
    readback = results.get("readback")
    if isinstance(readback, dict):
        out["read-back sample: share of a no-change run"] = (
            readback["verify sample"] - readback["verify off"]
        ) / readback["verify off"]
    large = results.get("large")
    if isinstance(large, dict):
        out["large files: cp speed share"] = large["cp -a"] / large["rearguard"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=4, help="number of large files (0 = skip)")
    parser.add_argument("--large-mib", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.work) as scratch:
        results = bench(Path(scratch), args.files, args.large, args.large_mib, args.rounds)
    results["ratios"] = ratios(results)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(
        f"mirror benchmark: {args.files} small files, {args.large} x {args.large_mib} MiB large; "
        f"best of {args.rounds}; caches dropped: {results['caches_dropped']}"
    )
    for case in ("initial", "nochange", "readback", "large"):
        for tool, seconds in (results.get(case) or {}).items():  # type: ignore[union-attr]
            print(f"  {case:9} {tool:22} {seconds:8.3f} s")
    if not have("rsync"):
        print("  (rsync is not installed: no rsync ratios; `make bench` installs it where apt-get works)")
    for name, value in results["ratios"].items():  # type: ignore[union-attr]
        print(f"  ratio {name:34} {value:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
