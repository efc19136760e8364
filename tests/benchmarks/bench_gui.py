"""Responsiveness benchmark: a mirror run of N small files with the window open.

    python tests/benchmarks/bench_gui.py --files 100000

The run is started from the window the way "Run now" does it, under the app's qasync loop, while
the Progress tab is shown and the first folders are expanded (as a user watching would). A 10 ms
QTimer probe measures the event loop: the longest gap between two of its ticks is the worst freeze
a user could feel. Also printed: peak memory (RSS) and the run time against the same run without
a window (the engine alone, in this process, once before and once after), as a ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import qasync
from PySide6.QtCore import Qt, QTimer

from engine.core.folders import app_folders
from engine.core.profile_store import save_profile
from engine.core.profiles import MirrorProfile, Profile
from engine.core.runner import run_profile
from gui.app import SCREENSHOT_SIZE, make_app
from gui.main_window import MainWindow
from tests.benchmarks.datasets import make_small
from tests.benchmarks.timing import drop_caches, fresh, warm

PROBE_MS = 10


def rss_bytes() -> int:
    """The current resident set size (Linux /proc; elsewhere the peak so far)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return peak_rss_bytes()


def peak_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class Probe:
    """A precise QTimer; records the gaps between its ticks (the event loop's stalls)."""

    def __init__(self, interval_ms: int = PROBE_MS) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self.ends: list[float] = []  # when each gap ended (perf_counter)
        self._last = 0.0

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self.ends.append(now)
        self._last = now

    def summary(self) -> dict[str, float]:
        gaps = sorted(self.gaps) or [0.0]
        return {
            "ticks": len(self.gaps),
            "longest_ms": gaps[-1] * 1000,
            "p99_ms": gaps[int(len(gaps) * 0.99) - 1 if len(gaps) > 1 else 0] * 1000,
            "median_ms": gaps[len(gaps) // 2] * 1000,
            "over_100ms": sum(1 for g in gaps if g > 0.1),
        }


class GcPauses:
    """The garbage collector's pauses (they hold the GIL, so they stall the window too)."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._start))

    def summary(self) -> dict[str, float]:
        longest = max((p for _, p in self.pauses), default=0.0)
        return {
            "gc_runs": len(self.pauses),
            "gc_full_runs": sum(1 for g, _ in self.pauses if g == 2),
            "gc_longest_ms": longest * 1000,
        }


class PeakSampler(threading.Thread):
    """Samples RSS every 50 ms (a peak that ru_maxrss would also include from before the run)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.05):
            self.peak = max(self.peak, rss_bytes())


def bench(work: Path, files: int) -> dict[str, Any]:
    os.environ["REARGUARD_HOME"] = str(work / "home")
    folders = app_folders().create()
    source, replica = work / "S", work / "D"
    if not source.exists():
        make_small(source, files)
    fresh(replica)
    spec = MirrorProfile.model_validate(
        {"kind": "mirror", "mirror": {"source": str(source), "replica": str(replica)}}
    )

    def ready() -> None:
        """Every run starts alike: an empty replica, caches dropped (where allowed), the source read."""
        fresh(replica)
        drop_caches()  # syncs first: no run pays for the one before's writes
        warm(source)

    ready()
    headless_start = time.perf_counter()  # before the profile is saved: one profile, one target
    headless = run_profile(Profile("bench-headless", spec), folders)
    headless_s = time.perf_counter() - headless_start
    ready()
    profile = save_profile(folders, "bench", spec)

    app = make_app()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = MainWindow(folders, select=profile.name)
    window.resize(*SCREENSHOT_SIZE)
    window.show()
    probe = Probe()
    sampler = PeakSampler()
    pauses = GcPauses()
    out: dict[str, Any] = {"files": files}

    async def scenario() -> None:
        await asyncio.sleep(0.3)
        out["rss_before_mb"] = rss_bytes() / 1e6
        sampler.start()
        gc.callbacks.append(pauses)
        probe.start()
        started = time.perf_counter()
        session = window.start_run(profile.name)
        assert session is not None
        expanded = 0
        tree = window.progress.tree
        while session.running:
            await asyncio.sleep(0.25)
            model = tree.model()
            while model is not None and expanded < min(3, model.rowCount()):
                tree.expand(model.index(expanded, 0))  # a user opening the first folders
                expanded += 1
        result = await session.wait()
        out["gui_run_s"] = time.perf_counter() - started
        await asyncio.sleep(0.3)
        probe.stop()
        gc.callbacks.remove(pauses)
        sampler.stopping.set()
        out["status"] = result.status
        out["batches"] = session.batches
        out["tree_items"] = session.model.tree.items
        window.close()

    with loop:
        loop.run_until_complete(scenario())
    ready()
    again_start = time.perf_counter()
    again = run_profile(profile, folders)  # the saved one: a second profile on its target is refused
    out["headless_after_s"] = time.perf_counter() - again_start
    out["headless_after_status"] = again.report.status if again.report else None
    out.update(probe.summary())
    out.update(pauses.summary())
    out["headless_run_s"] = headless_s
    out["headless_status"] = headless.report.status if headless.report else None
    # The engine alone runs once before the window's run and once after it, each prepared alike
    # (ready()), and the ratio is to their mean. Without dropped caches, the first run into the
    # emptied folder was much faster than the next ones, window or not (30,000 files, three engine
    # runs in one process: 2.9, 5.9, 6.8 s, kernel time 3.1, 8.6, 10.2 s; `cp -a` into an emptied
    # folder four times: 1.0, 10.5, 19.7, 23.3 s): against the first run alone the window looked
    # up to 2x slower than it is.
    around = (headless_s + out["headless_after_s"]) / 2
    out["ratio_gui_over_headless"] = out["gui_run_s"] / around if around else None
    out["peak_rss_during_run_mb"] = sampler.peak / 1e6
    out["peak_rss_process_mb"] = peak_rss_bytes() / 1e6
    return out


def report(results: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"GUI responsiveness, mirror of {results['files']} files with the window open:",
            f"  run time with window   {results['gui_run_s']:.2f} s ({results['status']}, "
            f"{results['batches']} batches, {results['tree_items']} tree items)",
            f"  run time, engine alone {results['headless_run_s']:.2f} s before it "
            f"({results['headless_status']}), {results['headless_after_s']:.2f} s after it "
            f"({results['headless_after_status']})",
            f"  ratio window / engine  {results['ratio_gui_over_headless']:.2f} (to their mean)",
            f"  longest event-loop stall {results['longest_ms']:.0f} ms (p99 {results['p99_ms']:.0f} ms, "
            f"median {results['median_ms']:.1f} ms, {results['over_100ms']} ticks over 100 ms, "
            f"{results['ticks']} ticks)",
            f"  garbage collector: {results['gc_runs']} runs, {results['gc_full_runs']} full, longest "
            f"{results['gc_longest_ms']:.0f} ms",
            f"  memory: {results['rss_before_mb']:.0f} MB before the run, "
            f"peak {results['peak_rss_during_run_mb']:.0f} MB "
            f"during it (process peak {results['peak_rss_process_mb']:.0f} MB)",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one)")
    parser.add_argument("--json", action="store_true", help="also print the numbers as JSON")
    args = parser.parse_args(argv)
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
        results = bench(args.work, args.files)
    else:
        with tempfile.TemporaryDirectory(prefix="rearguard-bench-gui-") as tmp:
            results = bench(Path(tmp), args.files)
    print(report(results))
    if args.json:
        print(json.dumps(results))
    statuses = (results["status"], results["headless_status"], results["headless_after_status"])
    return 0 if statuses == ("ok", "ok", "ok") else 1


if __name__ == "__main__":
    sys.exit(main())
