"""How big the reliability suite runs, and the figures it counts for the README.

``make test`` runs every test here at a small size; ``make reliability`` (or
``REARGUARD_RELIABILITY_FULL=1``, or ``-m reliability`` on the command line) runs the full size and
writes the figures to ``tests/reliability/figures.json``. conftest.py sets ``FULL`` before any test.
"""

from __future__ import annotations

import json
import platform
import threading
import time
from collections import Counter
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

FULL_ENV = "REARGUARD_RELIABILITY_FULL"
FIGURES_FILE = Path(__file__).with_name("figures.json")

FULL = False
_figures: Counter[str] = Counter()
_notes: dict[str, object] = {}
_lock = threading.Lock()
_started = time.monotonic()


def pick(small: T, full: T) -> T:
    """``small`` in ``make test``, ``full`` in ``make reliability``."""
    return full if FULL else small


def count(key: str, n: int = 1) -> None:
    """Add ``n`` to a figure (kills survived, faults injected, inputs tried, files checked, ...)."""
    with _lock:
        _figures[key] += n


def note(key: str, value: object) -> None:
    """Keep a measured value (a peak, a ratio) as it is, not summed."""
    with _lock:
        _notes[key] = value


def figures() -> dict[str, int]:
    with _lock:
        return dict(sorted(_figures.items()))


def summary() -> dict[str, object]:
    """Everything counted so far, with the totals the README quotes."""
    figs = figures()
    totals = {
        "kills_survived": sum(v for k, v in figs.items() if k.startswith("kills.")),
        "faults_injected": sum(v for k, v in figs.items() if k.startswith("faults.")),
        "inputs_tried": sum(v for k, v in figs.items() if k.startswith("inputs.")),
        "files_lost": sum(v for k, v in figs.items() if k.startswith("lost.")),
        "secret_occurrences": sum(v for k, v in figs.items() if k.startswith("leaks.")),
        "concurrent_starts": sum(v for k, v in figs.items() if k.startswith("concurrency.")),
        "soak_iterations": sum(v for k, v in figs.items() if k.startswith("soak.")),
        "files_damaged": sum(v for k, v in figs.items() if k.startswith("damage.")),
        "damage_found": sum(v for k, v in figs.items() if k.startswith("found.")),
        "damage_repaired": sum(v for k, v in figs.items() if k.startswith("repaired.")),
    }
    return {
        "size": "full" if FULL else "small",
        "seconds": round(time.monotonic() - _started, 1),
        "machine": f"{platform.system()} {platform.machine()}, Python {platform.python_version()}",
        "totals": totals,
        "figures": figs,
        "measured": dict(sorted(_notes.items())),
    }


def write(path: Path = FIGURES_FILE) -> Path:
    path.write_text(json.dumps(summary(), indent=2) + "\n", encoding="utf-8")
    return path
