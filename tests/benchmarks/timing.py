"""Timing whole commands fairly: same run, round-robin, caches reset where the machine allows it."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def drop_caches() -> bool:
    """Flush and drop the page cache when permitted (root on Linux); True if it happened."""
    subprocess.run(["sync"], check=False)
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def warm(root: Path) -> None:
    """Read every file once, untimed, so the source is warm as in the reference numbers."""
    for dirpath, _, files in os.walk(root):
        for name in files:
            with open(os.path.join(dirpath, name), "rb") as handle:
                while handle.read(1 << 20):
                    pass


def timed(argv: Sequence[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(list(argv), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return seconds


def round_robin(
    cases: dict[str, Callable[[], float]], rounds: int, before_each: Callable[[], None] | None = None
) -> dict[str, float]:
    """Run each case once per round, in turn; return the best time of each."""
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, case in cases.items():
            if before_each is not None:
                before_each()
            seconds = case()
            best[name] = min(best.get(name, float("inf")), seconds)
    return best


def fresh(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)


def have(tool: str) -> bool:
    return shutil.which(tool) is not None
