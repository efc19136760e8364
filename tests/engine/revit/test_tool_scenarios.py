"""Every way the tool can answer, and what a user then finds in the report and on the target."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from engine.core.events import Event, ItemStarted
from tests.engine.revit.conftest import DAY, FIXED_NOW, World, only_item, pid_alive
from tests.fakes.revit_server import FakeModel, Scenario

MODEL = r"Office\Tower A\Model.rvt"
GOOD = r"Office\Tower A\Good.rvt"
OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")


def _two_models(world: World, scenario: Scenario, **settings: Any) -> Any:
    return world(rows=[FakeModel(MODEL, scenario=scenario), FakeModel(GOOD)], **settings)


@pytest.mark.parametrize(
    ("scenario", "says"),
    [
        ("busy", "Le serveur est occupé (server busy)"),
        ("admin_locked", "model is locked by an administrator"),
        ("version_mismatch", "ne correspond pas à celle du serveur (2024): version mismatch"),
        ("missing", "Modèle introuvable"),
        ("partial_write", "Erreur d'écriture : connexion perdue (write failed)"),
        ("exit0_nofile", "exit 0 but no file was written"),
        ("zero_byte", "exit 0 but the file is empty (0 bytes)"),
        ("not_ole", "does not start with the OLE2 header"),
        ("stale_file", "older than the export's start"),
        ("crash", "interrupted"),
    ],
)
def test_a_failed_export_is_reported_with_its_reason_and_leaves_no_file(
    world: World, scenario: str, says: str
) -> None:
    w = _two_models(world, scenario)
    outcome = w.run()

    assert outcome.exit_code == 1
    item = only_item(outcome, MODEL)
    assert item["status"] == "failed"
    assert says in item["message"]
    assert "\ufffd" not in item["message"]
    assert only_item(outcome, GOOD)["status"] == "done"  # the run goes on with the rest
    assert w.files() == [f"{DAY}/Office/Tower A/Good.rvt"]  # nothing partial, nothing temporary


def test_a_failed_export_never_replaces_a_good_export_of_the_same_day(world: World) -> None:
    w = _two_models(world, "ok")
    w.run()
    good = (w.target / DAY / "Office/Tower A/Model.rvt").read_bytes()
    w.server.set_scenarios({MODEL: "partial_write"})
    w.run()

    assert (w.target / DAY / "Office/Tower A/Model.rvt").read_bytes() == good


def test_a_hung_tool_is_stopped_at_the_timeout_with_its_children(world: World) -> None:
    w = _two_models(world, "hang", timeout="1s")
    started = time.monotonic()
    outcome = w.run()
    elapsed = time.monotonic() - started

    assert elapsed < 1 + 6
    assert outcome.exit_code == 1
    item = only_item(outcome, MODEL)
    assert item["status"] == "failed" and "1s timeout" in item["message"]
    pids = w.server.hang_pids()
    assert len(pids) == 2  # the tool and the child it started
    deadline = time.monotonic() + 3
    while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in pids if pid_alive(p)]
    assert only_item(outcome, GOOD)["status"] == "done"
    assert w.files() == [f"{DAY}/Office/Tower A/Good.rvt"]


def test_a_slow_export_inside_the_timeout_succeeds(world: World) -> None:
    w = _two_models(world, {"scenario": "slow", "seconds": 0.5}, timeout="10s")
    outcome = w.run()

    assert outcome.exit_code == 0
    assert (w.target / DAY / "Office/Tower A/Model.rvt").read_bytes()[:8] == OLE2


def test_a_flaky_failure_is_retried_next_run_even_after_the_window_has_passed(world: World) -> None:
    w = _two_models(world, {"scenario": "flaky", "fail_times": 1})
    first = w.run()
    assert first.exit_code == 1
    assert "server busy" in only_item(first, MODEL)["message"]

    later = FIXED_NOW + timedelta(hours=25)  # both models were edited 26 h before this run
    preview = w.run(dry_run=True, now=later)
    assert preview.plan is not None
    assert [a.path for a in preview.plan.actions] == [MODEL]
    assert "retrying" in dict(preview.plan.actions[0].detail)["reason"]
    second = w.run(now=later)

    assert second.exit_code == 0
    assert only_item(second, MODEL)["status"] == "done"
    assert only_item(second, GOOD)["status"] == "skipped"
    assert w.server.called_models() == [MODEL, GOOD, MODEL]
    assert (w.target / "2024-11-13/Office/Tower A/Model.rvt").is_file()
    third = w.run(dry_run=True, now=later + timedelta(hours=1))
    assert third.plan is not None and third.plan.actions == ()  # the retry is done with


def test_an_export_less_than_half_the_previous_one_is_kept_with_a_warning(world: World) -> None:
    w = _two_models(world, {"scenario": "ok", "kib": 64})
    w.run()
    w.server.set_scenarios({MODEL: {"scenario": "ok", "kib": 8}})
    outcome = w.run(now=FIXED_NOW + timedelta(minutes=30))
    assert outcome.report is not None

    item = only_item(outcome, MODEL)
    assert item["status"] == "done"
    assert "less than half the previous one" in item["message"]
    assert any("less than half" in w_ for w_ in outcome.report.warnings)
    assert outcome.exit_code == 0


def test_parallel_exports_run_at_the_same_time_and_each_model_once(world: World) -> None:
    slow = {"scenario": "slow", "seconds": 0.6}
    rows = [FakeModel(f"P\\M{n}.rvt", scenario=slow) for n in range(6)]
    w = world(rows=rows)
    started = time.monotonic()
    outcome = w.run(parallel=3)
    elapsed = time.monotonic() - started

    assert outcome.exit_code == 0
    assert sorted(w.server.called_models()) == [r.path for r in rows]
    assert elapsed < 6 * 0.6  # one at a time would take at least this long
    assert [i.path for i in outcome.report.items] == [r.path for r in rows]  # type: ignore[union-attr]


def test_cancelling_stops_the_running_export_and_starts_no_more(world: World) -> None:
    rows = [FakeModel(f"C\\M{n}.rvt", scenario={"scenario": "slow", "seconds": 20}) for n in range(3)]
    w = world(rows=rows)
    cancel = threading.Event()

    def press_cancel(event: Event) -> None:
        w.events.append(event)
        if isinstance(event, ItemStarted):
            threading.Timer(0.3, cancel.set).start()

    started = time.monotonic()
    from engine.core.runner import run_profile

    outcome = run_profile(
        w.profile(), w.folders, reporter=press_cancel, cancel=cancel, clock=lambda: FIXED_NOW
    )
    assert time.monotonic() - started < 10
    assert outcome.exit_code == 130
    assert outcome.report is not None and outcome.report.status == "cancelled"
    assert [i.status for i in outcome.report.items] == ["failed", "skipped", "skipped"]
    assert "cancelled" in outcome.report.items[0].message
    assert w.server.called_models() == [rows[0].path]
    assert w.files() == []


def test_models_planned_by_a_run_that_stopped_early_are_exported_by_the_next_one(world: World) -> None:
    w = _two_models(world, "ok")
    broken = w.run(tool=str(w.tmp / "moved" / "RevitServerTool.exe"))
    assert broken.exit_code == 5 and w.server.calls() == []

    later = FIXED_NOW + timedelta(hours=25)  # both edits are outside the window by now
    preview = w.run(dry_run=True, now=later).plan
    assert preview is not None and [a.path for a in preview.actions] == [MODEL, GOOD]
    assert "the run that planned it did not finish" in dict(preview.actions[0].detail)["reason"]
    outcome = w.run(now=later)

    assert outcome.exit_code == 0
    assert w.server.called_models() == [MODEL, GOOD]
    assert w.run(dry_run=True, now=later).plan.actions == ()  # type: ignore[union-attr]


def test_a_dry_run_does_not_queue_anything(world: World) -> None:
    w = _two_models(world, "ok")
    w.run(dry_run=True)
    outcome = w.run(dry_run=True, now=FIXED_NOW + timedelta(hours=25))
    assert outcome.plan is not None and outcome.plan.actions == ()
