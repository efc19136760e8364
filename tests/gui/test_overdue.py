"""Issue 18.5: "overdue" counts from the profile's creation (or first run), never from the epoch."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine.core.folders import Folders
from engine.core.profiles import profile_path
from engine.notify.alerts import stale_alert
from gui.main_window import MainWindow


def test_a_manual_profile_made_minutes_ago_is_not_overdue_after_a_failed_run(
    qtbot, window: MainWindow, folders: Folders, mirror_profile, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    mirror_profile("Fresh", tmp_path / "missing-source", tmp_path / "dst")  # its run is refused
    window.refresh_profiles(select="Fresh")
    session = window.start_run()
    assert session is not None
    qtbot.waitUntil(lambda: not session.running, timeout=10000)
    window.refresh_profiles()
    age = window.header.age
    assert age.text() == "No good run yet"
    assert "overdue" not in age.text() and "c62828" not in age.styleSheet()
    assert not [a for a in window.alerts.current if a.key.startswith("stale:")]


def test_a_profile_made_long_ago_without_a_good_run_is_overdue(
    qtbot, window: MainWindow, folders: Folders, mirror_profile, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    mirror_profile("Old", tmp_path / "src", tmp_path / "dst")
    ten_days_ago = time.time() - 10 * 86400
    os.utime(profile_path(folders, "Old"), (ten_days_ago, ten_days_ago))
    window.refresh_profiles(select="Old")
    age = window.header.age
    assert age.text().startswith("⚠ No good run yet (for 10 days)") and age.text().endswith("overdue")
    assert "c62828" in age.styleSheet()
    stale = [a for a in window.alerts.current if a.key.startswith("stale:Old")]
    assert stale and "created 10 days ago" in stale[0].text


def test_the_stale_rule_counts_from_creation_or_first_run() -> None:
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    minutes_ago, days_ago = now - timedelta(minutes=5), now - timedelta(days=5)
    assert stale_alert("p", None, minutes_ago, now, 3, created=minutes_ago) is None
    assert stale_alert("p", None, None, now, 3, created=minutes_ago) is None
    made = stale_alert("p", None, None, now, 3, created=days_ago)
    assert made is not None and "created 5 days ago" in made.text
    tried = stale_alert("p", None, days_ago, now, 3, created=minutes_ago)
    assert tried is not None and "first tried 5 days ago" in tried.text
