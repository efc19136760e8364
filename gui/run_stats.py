"""The overall numbers of a run (bytes, items, speed, ETA, phase), kept from engine events.

Pure Python: the progress panel reads it after each batch.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable

from engine.core.events import (
    Event,
    ItemFinished,
    ItemProgress,
    ItemStarted,
    LimitChanged,
    PauseChanged,
    PhaseChanged,
    RunFinished,
    RunStarted,
    TransferStats,
)
from engine.core.report import RunReport
from gui.progress_tree import TreeReady

SPEED_WINDOW = 5.0  # seconds of history the speed is measured over
PHASE_WORDS = {
    "plan": "planning",
    "scan": "scanning",
    "execute": "copying",
    "delete": "deleting",
    "verify": "verifying",
    "notify": "notifying",
}


class RunStats:
    """Totals for the overall bar: what is planned, what is done, how fast it goes."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.started_at = clock()
        self.planned_items = 0
        self.planned_bytes = 0
        self.items_finished = 0
        self.files: frozenset[str] = frozenset()  # the plan's files (TreeReady): not folders, not notes
        self.files_finished: set[str] = set()
        self.done = 0
        self.skipped = 0
        self.failed = 0
        self.bytes_finished = 0
        self.partial: dict[str, int] = {}  # bytes copied so far of items still running
        self.phase = "starting"
        self.phase_message = ""
        self.report: RunReport | None = None
        self.tool_speed: float | None = None  # reported by an external tool (rclone)
        self.tool_eta: float | None = None
        self.tool_bytes: tuple[int, int] | None = None
        self.limit = ""  # the bandwidth limit in force, in words ("limited to 4 MiB/s until 19:00")
        self.pause_message = ""  # what the engine said when the run was paused ("" while it runs)
        self._samples: deque[tuple[float, int]] = deque()

    def apply(self, events: Iterable[Event]) -> None:
        for event in events:
            if isinstance(event, ItemFinished):
                self.items_finished += 1
                self.partial.pop(event.path, None)
                if event.path in self.files:
                    self.files_finished.add(event.path)
                if event.status in ("failed", "refused"):
                    self.failed += 1
                elif event.status == "skipped":
                    self.skipped += 1
                elif event.status == "done":
                    self.done += 1
                    if event.action != "delete":
                        self.bytes_finished += event.bytes
            elif isinstance(event, ItemProgress):
                self.partial[event.path] = event.bytes_done
            elif isinstance(event, ItemStarted):
                self.partial[event.path] = 0
            elif isinstance(event, TransferStats):
                self.tool_speed, self.tool_eta = event.speed, event.eta_seconds
                self.tool_bytes = (event.bytes_done, event.bytes_total)
            elif isinstance(event, PhaseChanged):
                self.phase, self.phase_message = event.phase, event.message
            elif isinstance(event, LimitChanged):
                self.limit = event.text
            elif isinstance(event, PauseChanged):
                self.pause_message = event.message if event.paused else ""
            elif isinstance(event, TreeReady):
                self.files = event.files
            elif isinstance(event, RunStarted):
                self.planned_items, self.planned_bytes = event.planned_items, event.planned_bytes
            elif isinstance(event, RunFinished):
                self.report = event.report
                self.phase = "finished"
        now = self.clock()
        self._samples.append((now, self.bytes_done))
        while len(self._samples) > 2 and now - self._samples[0][0] > SPEED_WINDOW:
            self._samples.popleft()

    @property
    def bytes_done(self) -> int:
        if self.tool_bytes is not None:
            return self.tool_bytes[0]
        return self.bytes_finished + sum(self.partial.values())

    @property
    def bytes_total(self) -> int:
        if self.tool_bytes is not None and self.tool_bytes[1]:
            return self.tool_bytes[1]
        return self.planned_bytes

    @property
    def speed(self) -> float:
        """Bytes per second over the last few seconds."""
        if self.tool_speed is not None:
            return self.tool_speed
        if len(self._samples) < 2:
            return 0.0
        (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
        return (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0

    @property
    def eta(self) -> float | None:
        if self.tool_eta is not None:
            return self.tool_eta
        speed = self.speed
        if speed <= 0 or not self.bytes_total:
            return None
        return max(0.0, (self.bytes_total - self.bytes_done) / speed)

    @property
    def percent(self) -> float:
        """How far through the plan the run is, 0–100 (100 once it ended normally)."""
        if self.report is not None and self.report.status in ("ok", "failed"):
            return 100.0
        if self.bytes_total:
            return min(100.0, 100.0 * self.bytes_done / self.bytes_total)
        if self.files:
            return min(100.0, 100.0 * len(self.files_finished) / len(self.files))
        if self.planned_items:
            return min(100.0, 100.0 * self.items_finished / self.planned_items)
        return 0.0

    @property
    def whole_percent(self) -> int:
        """The percentage as the bar, the list and the header all show it (never rounded up)."""
        return int(self.percent)

    def files_text(self, noun: str = "files") -> str:
        """``412 of 960 files`` (the plan's files, not its folders), or items without a plan."""
        if self.files:
            return f"{len(self.files_finished):,} of {len(self.files):,} {noun}"
        if self.planned_items:
            return f"{self.items_finished:,} of {self.planned_items:,} items"
        return ""

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started_at

    @property
    def phase_word(self) -> str:
        return PHASE_WORDS.get(self.phase, self.phase)
