"""Which due profiles start now and which wait: no overlap per profile, at most N at a time.

Pure bookkeeping (no clock, no Qt): the GUI's scheduler asks it on every tick.

- A profile is queued at most once, however many of its slots pass while it waits.
- A profile that is running is never started again; its due run waits in the queue.
- At most ``limit`` profiles run at once; the others wait in arrival order (a visible queue).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

DEFAULT_LIMIT = 2


class RunQueue:
    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = max(1, limit)
        self.waiting: list[str] = []

    def request(self, name: str) -> bool:
        """Queue a due run; False when that profile already waits (queued once)."""
        if name in self.waiting:
            return False
        self.waiting.append(name)
        return True

    def drop(self, name: str) -> None:
        """Forget a queued run (the profile was deleted, renamed or is no longer due)."""
        if name in self.waiting:
            self.waiting.remove(name)

    def keep_only(self, names: Iterable[str]) -> None:
        """Drop queued runs of profiles that no longer exist."""
        known = set(names)
        self.waiting = [name for name in self.waiting if name in known]

    def take(self, running: Collection[str]) -> list[str]:
        """The queued profiles to start now, in queue order; they leave the queue."""
        free = self.limit - len(running)
        started: list[str] = []
        for name in list(self.waiting):
            if free <= 0:
                break
            if name in running:
                continue  # never two runs of one profile: this one waits for the current run
            self.waiting.remove(name)
            started.append(name)
            free -= 1
        return started

    def position(self, name: str) -> int:
        """1-based place in the queue, 0 when not queued."""
        return self.waiting.index(name) + 1 if name in self.waiting else 0
