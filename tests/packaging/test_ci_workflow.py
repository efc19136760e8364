"""The CI workflow runs what `make test` runs, on every platform, and cannot drift from the Makefile."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = (ROOT / ".github" / "workflows" / "tests.yml").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def _recipe(target: str) -> list[str]:
    """The commands of a Makefile target, with $(BIN)/ and the test environment taken out."""
    block = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", MAKEFILE, re.MULTILINE)
    assert block, target
    lines = [line.strip() for line in block.group(1).splitlines()]
    return [line.replace("$(TEST_ENV) ", "").replace("$(BIN)/", "") for line in lines]


def test_push_and_pull_request_on_three_systems_with_two_pythons() -> None:
    assert re.search(r"^on:\n  push:\n  pull_request:", WORKFLOW, re.MULTILINE)
    assert "os: [ubuntu-latest, windows-latest, macos-latest]" in WORKFLOW
    assert 'python: ["3.11", "3.14"]' in WORKFLOW
    assert "run: make test PYTHON=python" in WORKFLOW


def test_the_windows_job_spells_out_each_step_of_make_test() -> None:
    assert re.search(r"^test: lint types imports pytest$", MAKEFILE, re.MULTILINE)
    windows = "\n".join(line.replace("\\", "/") for line in WORKFLOW.splitlines())
    for target in ("lint", "types", "imports", "pytest"):
        for command in _recipe(target):
            assert f".venv/Scripts/{command}" in windows, (target, command)
    assert '-c requirements.lock -e ".[dev]"' in WORKFLOW
    assert "QT_QPA_PLATFORM: offscreen" in WORKFLOW and "QT_API: pyside6" in WORKFLOW
