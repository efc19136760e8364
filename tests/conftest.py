"""Shared test set-up: Qt offscreen (before any Qt import) and a private REARGUARD_HOME per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Rearguard home (profiles, state, logs) for this test only."""
    root = tmp_path / "rearguard-home"
    monkeypatch.setenv("REARGUARD_HOME", str(root))
    return root
