"""Events: how the engine talks to a screen it does not know.

Small frozen dataclasses passed to a ``Reporter`` (any callable taking one event). The GUI batches
them; the CLI draws a progress line. A reporter must be cheap: it is called per item.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.core.plan import Plan
    from engine.core.report import RunReport


@dataclass(frozen=True, slots=True)
class RunStarted:
    profile: str
    kind: str
    planned_items: int
    planned_bytes: int
    dry_run: bool = False
    plan: Plan | None = None  # what the run set out to do (a screen lists it; never copied)


@dataclass(frozen=True, slots=True)
class ItemStarted:
    path: str
    action: str
    bytes: int


@dataclass(frozen=True, slots=True)
class ItemProgress:
    path: str
    bytes_done: int
    bytes_total: int


@dataclass(frozen=True, slots=True)
class ItemFinished:
    path: str
    action: str
    status: str  # "done" | "skipped" | "failed" | "refused"
    bytes: int = 0
    message: str = ""


@dataclass(frozen=True, slots=True)
class TransferStats:
    """Whole-run progress measured by an external tool (rclone's stats)."""

    bytes_done: int
    bytes_total: int
    speed: float  # bytes per second
    eta_seconds: float | None


@dataclass(frozen=True, slots=True)
class PhaseChanged:
    """The run moved to another phase: scan, plan, execute, delete, verify."""

    phase: str
    message: str = ""


@dataclass(frozen=True, slots=True)
class PauseChanged:
    """The run was paused (holds its lock, moves no byte) or resumed."""

    paused: bool
    message: str = ""


@dataclass(frozen=True, slots=True)
class LimitChanged:
    """The bandwidth limit in force, in words: ``limited to 4 MiB/s until 19:00``."""

    text: str
    bytes_per_second: float | None = None


@dataclass(frozen=True, slots=True)
class RunFinished:
    report: RunReport


Event = (
    RunStarted
    | ItemStarted
    | ItemProgress
    | ItemFinished
    | TransferStats
    | PhaseChanged
    | PauseChanged
    | LimitChanged
    | RunFinished
)
Reporter = Callable[[Event], None]


def null_reporter(event: Event) -> None:
    """A reporter that ignores everything."""
