"""Revit and office hours: a pause waits for the export under way and holds the next model; a window's
end lets the export under way finish, and the models not started are exported by the next run."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from engine.core.events import Event, PauseChanged
from engine.core.runner import RunOutcome, run_profile
from engine.files.pacing import PauseSwitch
from engine.jobs.revit.export import WINDOW_CLOSED
from tests.engine.revit.conftest import FIXED_NOW, World, items_by_path
from tests.fakes.revit_server import FakeModel

SLOW = {"scenario": "slow", "seconds": 0.8}


def _moving_clock(start: datetime) -> object:
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


def test_pause_takes_effect_before_the_next_model_and_says_so(world: World) -> None:
    w = world(rows=[FakeModel(f"P\\M{n}.rvt", scenario=SLOW) for n in range(3)])
    pause = PauseSwitch()
    events: list[Event] = []
    outcome: list[RunOutcome] = []
    runner = threading.Thread(
        target=lambda: outcome.append(
            run_profile(
                w.profile(),
                w.folders,
                pause=pause,
                reporter=events.append,
                clock=_moving_clock(FIXED_NOW),  # type: ignore[arg-type]
            )
        )
    )
    runner.start()
    deadline = time.monotonic() + 20
    while not w.server.calls() and time.monotonic() < deadline:
        time.sleep(0.02)
    pause.pause()  # the first export is under way: RevitServerTool cannot be paused
    time.sleep(2.0)  # long enough for two more exports, were the pause ignored
    assert [c["model"] for c in w.server.calls()] == ["P\\M0.rvt"]
    pause.resume()
    runner.join(timeout=30)
    assert outcome and outcome[0].exit_code == 0
    assert len(w.server.calls()) == 3
    said = [e.message for e in events if isinstance(e, PauseChanged)]
    assert "the export under way finishes" in said[0] and "no new model starts" in said[0]
    assert "paused before exporting P\\M1.rvt" in w.log_text()


def test_a_window_closing_leaves_the_models_not_started_to_the_next_run(world: World) -> None:
    w = world(rows=[FakeModel(f"P\\M{n}.rvt", scenario=SLOW) for n in range(4)])
    clock = _moving_clock(FIXED_NOW)
    first = run_profile(
        w.profile(),
        w.folders,
        clock=clock,  # type: ignore[arg-type]
        window_end=FIXED_NOW + timedelta(seconds=1.2),
    )
    assert first.exit_code == 6 and first.report is not None and first.report.status == "stopped"
    items = items_by_path(first)
    done = {path for path, found in items.items() if found[0]["status"] == "done"}
    left = {path for path, found in items.items() if found[0]["message"] == WINDOW_CLOSED}
    assert done and left and done | left == {f"P\\M{n}.rvt" for n in range(4)}
    # The next run is a day later: every model has left the 24 h window by then, and the ones the
    # window cut off are still exported (the retry queue holds them); the others are not.
    calls_before = len(w.server.calls())
    later = FIXED_NOW + timedelta(hours=30)
    second = run_profile(w.profile(), w.folders, clock=lambda: later)
    assert second.exit_code == 0
    exported = {c["model"] for c in w.server.calls()[calls_before:]}
    assert exported == left
