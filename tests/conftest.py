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


@pytest.fixture
def rclone_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """rclone sees no config of the developer's: an empty rclone.conf and no RCLONE_* variables."""
    for name in list(os.environ):
        if name.startswith("RCLONE_"):
            monkeypatch.delenv(name)
    empty = tmp_path / "empty-rclone.conf"
    empty.write_text("")
    monkeypatch.setenv("RCLONE_CONFIG", str(empty))
