"""Bandwidth limit benchmark: the rate Rearguard achieves against the profile's ``bwlimit``.

    python tests/benchmarks/bench_bwlimit.py --mib 32 --limit 8M

One file of ``--mib`` MiB (random bytes) goes through a mirror profile (Rearguard's own token
bucket in the copy loop) and an rclone profile to a local-folder remote (rclone's own --bwlimit),
each with ``bwlimit = LIMIT``. Timed from the start of the execute phase to the file's finish (the
scan and rclone's start-up left out). Prints one line per kind: bytes, seconds, achieved rate, and
its share of the limit; the goal is 100 % ± 25 %.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.core.bandwidth import format_rate, limit_at, parse_bwlimit
from engine.core.events import Event, ItemFinished, PhaseChanged
from engine.core.folders import app_folders
from engine.core.profiles import MirrorProfile, Profile, RcloneProfile
from engine.core.runner import run_profile

MIB = 1 << 20
GOAL = 0.25


def _timed(profile: Profile) -> float:
    events: list[tuple[float, Event]] = []
    outcome = run_profile(
        profile, app_folders().create(), reporter=lambda e: events.append((time.monotonic(), e))
    )
    if outcome.exit_code != 0:
        raise SystemExit(f"{profile.kind} run failed: {outcome.report and outcome.report.summary()}")
    began = next(t for t, e in events if isinstance(e, PhaseChanged) and e.phase == "execute")
    return max(t for t, e in events if isinstance(e, ItemFinished)) - began


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=32, help="size of the file in MiB")
    parser.add_argument("--limit", default="8M", help="the bwlimit, e.g. 8M")
    args = parser.parse_args(argv)
    rate = limit_at(parse_bwlimit(args.limit), datetime.now())[0]
    if rate is None:
        raise SystemExit("--limit: give a rate, e.g. 8M")
    saved = {name: os.environ.get(name) for name in ("REARGUARD_HOME", "RCLONE_CONFIG")}
    try:
        return _bench(args.mib, args.limit, rate)
    finally:  # called from a test too: leave the environment as it was
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _bench(mib: int, limit_text: str, rate: float) -> int:
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="rearguard-bwbench-") as folder:
        work = Path(folder)
        os.environ["REARGUARD_HOME"] = str(work / "home")
        (work / "rclone.conf").write_text("")
        os.environ["RCLONE_CONFIG"] = str(work / "rclone.conf")  # nobody's own remotes
        source = work / "src"
        source.mkdir()
        (source / "big.bin").write_bytes(os.urandom(mib * MIB))
        limit = {"bwlimit": limit_text}
        mirror = {"source": str(source), "replica": str(work / "dst"), **limit}
        rclone = {"source": str(source), "remote": str(work / "remote"), **limit}
        profiles = {
            "mirror": Profile(
                "bw-mirror", MirrorProfile.model_validate({"kind": "mirror", "mirror": mirror})
            ),
            "rclone": Profile(
                "bw-rclone", RcloneProfile.model_validate({"kind": "rclone", "rclone": rclone})
            ),
        }
        for kind, profile in profiles.items():
            seconds = _timed(profile)
            achieved = mib * MIB / seconds
            share = achieved / rate
            worst = max(worst, abs(share - 1))
            print(
                f"bwlimit {kind:6} {mib} MiB in {seconds:5.2f} s: {format_rate(achieved)} "
                f"against a limit of {format_rate(rate)} ({share:.0%} of it; goal 100% ± {GOAL:.0%})"
            )
    return 0 if worst <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
