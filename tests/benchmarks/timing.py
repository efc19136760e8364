"""Timing whole commands fairly: same run, round-robin, caches reset where the machine allows it."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
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


GNU_TIME = "/usr/bin/time"


def _gnu_time() -> bool:
    """True when /usr/bin/time is GNU time (``-f %M``: its child's peak RSS in KiB)."""
    try:
        probe = subprocess.run([GNU_TIME, "-f", "%M", "true"], capture_output=True, check=False, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0 and probe.stderr.strip().isdigit()


def timed_rss(argv: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Like ``timed``, and the command's peak resident memory in MB (10^6 bytes).

    Measured by GNU time where there is one: a process's peak counts the memory of the process it
    was started from until its exec (Linux carries it over), so it is started from the small ``time``
    rather than from this Python. Elsewhere ``os.wait4`` gives this one child's peak (not that of
    every child so far, as ``getrusage(RUSAGE_CHILDREN)`` would), which may include this process's.
    The peak is that of the largest single process, as ``time`` reports it. The timing includes
    ``time``'s own start (about a millisecond).
    """
    gnu = _gnu_time()
    command = [GNU_TIME, "-f", "\n%M", *argv] if gnu else list(argv)
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    errors = proc.stderr.read()  # until the child closes it (it exits); a full pipe cannot block it
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({proc.returncode}): {errors.decode()[-500:]}")
    if gnu:
        return seconds, int(errors.decode().rsplit("\n", 2)[-2].strip()) * 1024 / 1e6
    unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return seconds, usage.ru_maxrss * unit / 1e6


def round_robin(
    cases: dict[str, Callable[[], float]],
    rounds: int,
    before_each: Callable[[], None] | None = None,
    medians: dict[str, float] | None = None,
) -> dict[str, float]:
    """Run each case once per round, in turn; return the best time of each (and fill ``medians``)."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, case in cases.items():
            if before_each is not None:
                before_each()
            times[name].append(case())
    if medians is not None:
        medians.update({name: statistics.median(seen) for name, seen in times.items()})
    return {name: min(seen) for name, seen in times.items()}


def fresh(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)


def have(tool: str) -> bool:
    return shutil.which(tool) is not None
