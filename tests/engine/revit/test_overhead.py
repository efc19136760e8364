"""A small run of the overhead benchmark, so the measurement cannot rot (nothing absolute asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.core.folders import Folders
from tests.fakes.revit_instant_tool import measure_overhead


def test_the_overhead_measurement_runs_and_accounts_for_every_model(
    tmp_path: Path, folders: Folders, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = measure_overhead(tmp_path, folders, monkeypatch, 40)
    print(result.line())

    assert result.exported == 40
    assert 0 < result.tool < result.total
    assert result.reference > 0
