"""The header's "Run even when I'm not logged in": the profile moves to the OS scheduler (faked
systemd here), the window says so, and the app's own scheduler no longer fires it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from engine.core.errors import ToolUnavailable
from engine.core.profile_store import save_profile
from engine.core.profiles import MirrorProfile
from engine.schedule import os_backends, os_scheduler
from engine.tools.process import ProcessResult


def _ok(argv: Sequence[str]) -> ProcessResult:
    return ProcessResult(list(argv), 0, stdout="Fri 2026-11-27 02:00:00 UTC")


def _save(window, tmp_path: Path, name: str = "Docs") -> None:  # type: ignore[no-untyped-def]
    mirror = {"source": str(tmp_path / "src"), "replica": str(tmp_path / "rep")}
    spec = MirrorProfile.model_validate({"kind": "mirror", "schedule": {"every": "1h"}, "mirror": mirror})
    save_profile(window.folders, name, spec)
    window.refresh_profiles(select=name)


def test_switch_hands_the_profile_to_the_os_scheduler_and_back(
    qtbot, window, dialogs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    backend = os_scheduler.Systemd(runner=_ok, unit_dir=tmp_path / "units", booted=lambda: True)
    monkeypatch.setattr(os_scheduler, "default_backend", lambda **kw: backend)
    monkeypatch.setattr(os_scheduler, "backend_for", lambda reg: backend)
    monkeypatch.setattr(os_backends, "linger_enabled", lambda user=None: True)
    _save(window, tmp_path)
    assert window.header.os_switch.isVisible() and not window.header.os_switch.isChecked()
    window.header.os_switch.setChecked(True)
    assert (tmp_path / "units" / "rearguard-Docs.timer").is_file()
    assert window.scheduler.os_runs == {"Docs": "systemd"}
    assert "Docs" not in window.scheduler.next_runs  # the app's scheduler leaves it alone
    assert window.sessions.get("Docs") is None
    assert window.header.next.text() == "Next run: by systemd, logged in or not"
    assert "runs via systemd" in window.list_model.rows[0].line(window.list_model.now)
    assert dialogs.told == []
    window.header.os_switch.setChecked(False)
    assert not (tmp_path / "units" / "rearguard-Docs.timer").exists()
    assert window.scheduler.os_runs == {} and "Docs" in window.scheduler.next_runs


def test_switch_failure_is_told_and_the_switch_stays_off(
    qtbot, window, dialogs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    def unavailable(**kw: object) -> os_scheduler.Backend:
        raise ToolUnavailable("systemd is not running on this machine")

    monkeypatch.setattr(os_scheduler, "default_backend", unavailable)
    _save(window, tmp_path)
    window.header.os_switch.setChecked(True)
    assert len(dialogs.told) == 1 and "systemd is not running" in dialogs.told[0]
    assert not window.header.os_switch.isChecked()
    assert os_scheduler.load_registrations(window.folders) == {}
