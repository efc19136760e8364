"""The reliability suite: crash, fault, bad-input, concurrency, secrets and soak tests.

Every test is marked ``reliability``. In ``make test`` they run at a small size; ``make reliability``
(or ``REARGUARD_RELIABILITY_FULL=1``, or ``-m reliability``) runs them at full size, runs the tests
marked ``full_only`` too, and writes the figures to ``tests/reliability/figures.json``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.core.folders import Folders, app_folders
from tests.reliability import scale

_HERE = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "reliability: the crash/fault/bad-input suite (full size: make reliability)"
    )
    config.addinivalue_line("markers", "full_only: runs only in the full reliability suite")
    markexpr = (config.getoption("markexpr", "") or "").replace(" ", "")
    scale.FULL = os.environ.get(scale.FULL_ENV) == "1" or markexpr == "reliability"


def _ours(item: pytest.Item) -> bool:
    return _HERE in Path(str(item.fspath)).parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _ours(item) and scale.FULL:
            item.add_marker(pytest.mark.timeout(1800))


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("full_only") and not scale.FULL:
        pytest.skip("full reliability suite only (make reliability)")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if scale.FULL and scale.figures():
        scale.write()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not scale.figures():
        return
    totals = scale.summary()["totals"]
    assert isinstance(totals, dict)
    shown = ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in totals.items())
    terminalreporter.write_line(f"reliability ({'full' if scale.FULL else 'small'}): {shown}")
    if scale.FULL:
        terminalreporter.write_line(f"figures written to {scale.FIGURES_FILE}")


@pytest.fixture
def folders(home: Path) -> Folders:
    return app_folders().create()
