"""The RunReport: what a run did, for the state DB, the log, the GUI and ``--json``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.core import errors

STATUS_OK = "ok"
STATUS_FAILED = "failed"
STATUS_REFUSED = "refused"
STATUS_CANCELLED = "cancelled"
STATUS_UNAVAILABLE = "unavailable"
STATUS_STOPPED = "stopped"  # at the end of its time window; what was done is kept


@dataclass(frozen=True, slots=True)
class ItemResult:
    path: str
    action: str
    status: str  # "done" | "skipped" | "failed" | "refused"
    message: str = ""
    bytes: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "action": self.action, "status": self.status, "message": self.message}


@dataclass
class RunReport:
    profile: str
    kind: str
    started: datetime
    finished: datetime | None = None
    status: str = STATUS_OK
    reason: str | None = None
    items: list[ItemResult] = field(default_factory=list)
    planned: int = 0
    planned_bytes: int = 0
    warnings: list[str] = field(default_factory=list)
    run_id: int | None = None
    run_kind: str = "backup"  # "backup" | "verify": what the run did
    readback: str | None = None  # what reading the backup back found, in words

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def bytes_done(self) -> int:
        return sum(item.bytes for item in self.items if item.status == "done")

    @property
    def failures(self) -> list[ItemResult]:
        return [item for item in self.items if item.status in ("failed", "refused")]

    def settle(self) -> None:
        """Set the status from the items, unless the run already ended otherwise."""
        if self.status == STATUS_OK and self.failures:
            self.status = STATUS_FAILED

    @property
    def exit_code(self) -> int:
        return {
            STATUS_OK: errors.EXIT_OK,
            STATUS_FAILED: errors.EXIT_ITEMS_FAILED,
            STATUS_REFUSED: errors.EXIT_REFUSED,
            STATUS_CANCELLED: errors.EXIT_CANCELLED,
            STATUS_UNAVAILABLE: errors.EXIT_UNAVAILABLE,
            STATUS_STOPPED: errors.EXIT_WINDOW_ENDED,
        }.get(self.status, errors.EXIT_ITEMS_FAILED)

    def counts(self) -> dict[str, int]:
        """What the run looked at, split so the parts add up: done + skipped + failed = looked_at.

        ``failed`` includes ``refused`` (an unsafe path, never touched). ``planned`` is counted apart:
        the actions the plan set out to do (copies, uploads, deletions, exports); the entries it left
        alone (outside a Revit window, a duplicate row, a refused path) are looked at but not planned.
        """
        tally = Counter(item.status for item in self.items)  # one pass: a run may have 100,000
        done, skipped, refused = tally["done"], tally["skipped"], tally["refused"]
        failed = tally["failed"] + refused
        return {
            "planned": self.planned,
            "done": done,
            "skipped": skipped,
            "failed": failed,
            "refused": refused,
            "looked_at": done + skipped + failed,
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "kind": self.kind,
            "run": self.run_kind,
            "status": "failed" if self.status == STATUS_UNAVAILABLE else self.status,
            "started": self.started.isoformat(),
            "finished": self.finished.isoformat() if self.finished else None,
            "counts": self.counts(),
            "bytes": self.bytes_done,
            "items": [item.as_json() for item in self.items],
            "reason": self.reason,
            "readback": self.readback,
            "warnings": list(self.warnings),
            "exit_code": self.exit_code,
        }

    def summary(self) -> str:
        counts = counts_text(self.counts())
        line = f"{self.profile}: {self.status} — {counts}, {_human_bytes(self.bytes_done)}"
        if self.reason:
            line += f"\n  reason: {self.reason}"
        if self.readback:
            line += f"\n  {self.readback}"
        return line


def counts_text(counts: dict[str, int]) -> str:
    """``10 done, 4 skipped, 3 failed (2 refused) of 17 looked at; 10 planned`` — parts that add up."""
    refused = counts.get("refused", 0)
    failed = f"{counts['failed']:,} failed" + (f" ({refused:,} refused)" if refused else "")
    looked = counts.get("looked_at", counts["done"] + counts["skipped"] + counts["failed"])
    return (
        f"{counts['done']:,} done, {counts['skipped']:,} skipped, {failed} of {looked:,} looked at; "
        f"{counts['planned']:,} planned"
    )


def _human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


human_bytes = _human_bytes
