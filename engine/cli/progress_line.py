"""A one-line progress display for the terminal: items, bytes, speed and ETA, redrawn ~5 times a second."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from engine.core.events import Event, ItemFinished, ItemProgress, LimitChanged, PauseChanged, RunStarted
from engine.core.report import human_bytes


class ProgressLine:
    """A Reporter that draws ``42 % 1.2 GB / 2.8 GB  38 MB/s  ETA 0:41  412/960 files``.

    With a bandwidth limit the line ends with it (``limited to 4 MiB/s until 19:00``); while the
    run is paused it says ``paused``.
    """

    def __init__(self, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.total_items = self.total_bytes = self.items = self.bytes = 0
        self._partial: dict[str, int] = {}
        self._start = time.monotonic()
        self._last_draw = 0.0
        self._drawn = False
        self.limit = ""
        self.paused = False

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.total_items, self.total_bytes = event.planned_items, event.planned_bytes
            self._start = time.monotonic()
        elif isinstance(event, ItemFinished):
            self.items += 1
            self.bytes += event.bytes
            self._partial.pop(event.path, None)
        elif isinstance(event, ItemProgress):
            self._partial[event.path] = event.bytes_done
        elif isinstance(event, LimitChanged):
            self.limit = event.text
        elif isinstance(event, PauseChanged):
            self.paused = event.paused
            self._last_draw = 0.0  # show it now
        else:
            return
        now = time.monotonic()
        if self.enabled and now - self._last_draw >= 0.2:
            self._last_draw = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        done = self.bytes + sum(self._partial.values())
        elapsed = max(now - self._start, 1e-6)
        speed = done / elapsed
        pct = (
            100.0 * done / self.total_bytes
            if self.total_bytes
            else 100.0 * self.items / max(self.total_items, 1)
        )
        eta = (self.total_bytes - done) / speed if speed > 0 and self.total_bytes else 0
        text = (
            f"\r{pct:5.1f} %  {human_bytes(done)} / {human_bytes(self.total_bytes)}  "
            f"{human_bytes(speed)}/s  ETA {int(eta) // 60}:{int(eta) % 60:02d}  "
            f"{self.items}/{self.total_items} items "
        )
        if self.paused:
            text = f"\rpaused — {pct:.1f} %, {self.items}/{self.total_items} items "
        elif self.limit:
            text += f" {self.limit} "
        self.stream.write(text)
        self.stream.flush()
        self._drawn = True

    def clear(self) -> None:
        if self._drawn:
            self.stream.write("\r" + " " * 79 + "\r")
            self.stream.flush()
            self._drawn = False
