"""The clock jumping back and forward: between runs, during a run, and under the scheduler.

Runs still complete and lose nothing (versions, history, Revit exports); the run history keeps its
order; and a schedule never stalls for the size of a backward jump, nor stops after a forward one.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.core.folders import Folders
from engine.core.profiles import Schedule, parse_profile_text
from engine.core.runner import run_profile
from engine.schedule.slots import BACKOFF, History, next_run
from tests.fakes.revit_server import FakeModel, build_server, make_tool
from tests.reliability import scale
from tests.reliability.rigs import MirrorRig
from tests.reliability.world import real_files, run_statuses

pytestmark = pytest.mark.reliability

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _stepping(*moments: datetime) -> Callable[[], datetime]:
    """A clock that jumps: each call returns the next moment, round and round."""
    cycle = itertools.cycle(moments)
    return lambda: next(cycle)


def test_mirror_runs_under_a_jumping_clock_complete_and_lose_no_version(
    tmp_path: Path, folders: Folders
) -> None:
    rig = MirrorRig.make(folders, tmp_path, seed=41, files=scale.pick(40, 120))
    offsets = [0, -1, 7, -3, 10, 0, -2, 9] * scale.pick(1, 4)  # all within keep_versions (30 days)
    for n, days in enumerate(offsets):
        rig.tree.mutate(change=8, add=2, delete=1, big=n % 2)
        moment = NOW + days * DAY
        # Every third run the clock also jumps while the run goes on.
        jumps = (moment - 2 * DAY, moment + 3 * DAY) if n % 3 == 2 else ()
        clock = _stepping(moment, *jumps)
        outcome = run_profile(rig.profile(), folders, clock=clock)
        scale.count("faults.clock_jump")
        assert outcome.exit_code == 0, outcome
        rig.seen |= set(real_files(rig.replica).items())
        assert rig.complete() and rig.problems() == []
    assert run_statuses(folders, rig.name) == ["ok"] * len(offsets)


def test_revit_exports_survive_the_clock_jumping_a_year_either_way(
    tmp_path: Path, folders: Folders, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REARGUARD_CONSOLE_CODEPAGE", "850")
    rows = [FakeModel(rf"Office\M{n}.rvt", timedelta(hours=1)) for n in range(3)]
    server = build_server(tmp_path / "server", rows, NOW)
    tool = make_tool(tmp_path / "bin", server)
    target = tmp_path / "target"
    values = {"server": "RS", "projects_dir": str(server.projects), "tool": str(tool), "target": str(target)}
    profile = parse_profile_text(tomli_w.dumps({"kind": "revit", "revit": values}), "revit-clock")

    def models_kept() -> set[str]:
        return {p.name for p in target.rglob("*.rvt")}

    assert run_profile(profile, folders, clock=lambda: NOW).exit_code == 0
    assert models_kept() == {"M0.rvt", "M1.rvt", "M2.rvt"}
    for jump in (365, -365, 3650, -1):
        outcome = run_profile(profile, folders, clock=lambda jump=jump: NOW + jump * DAY)
        scale.count("faults.clock_jump")
        assert outcome.exit_code == 0, outcome
        assert models_kept() == {"M0.rvt", "M1.rvt", "M2.rvt"}, f"an export was lost after a {jump}-day jump"


@st.composite
def _histories(draw: st.DrawFn) -> tuple[Schedule, History, datetime]:
    # Every interval a profile accepts: any under a day, whole days up to a week, 36 h.
    minutes = draw(
        st.integers(15, 24 * 60 - 1) | st.sampled_from([*(d * 24 * 60 for d in range(1, 8)), 36 * 60])
    )
    at = draw(st.none() | st.times().map(lambda t: t.strftime("%H:%M")))
    schedule = Schedule(every=f"{minutes}m", at=at)
    last = NOW + timedelta(minutes=draw(st.integers(-60 * 24 * 400, 60 * 24 * 400)))
    failures = draw(st.integers(0, 6))
    good = (
        None if failures and draw(st.booleans()) else last - timedelta(minutes=draw(st.integers(0, 10_000)))
    )
    return schedule, History(last_start=last, last_good=good, failures_since_good=failures, runs_done=5), NOW


@settings(max_examples=scale.pick(300, 5000), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_histories())
def test_a_schedule_never_stalls_longer_than_one_interval_whatever_the_clock_did(
    case: tuple[Schedule, History, datetime],
) -> None:
    schedule, history, now = case
    scale.count("inputs.clock_jump_schedules")
    due = next_run(schedule, history, now)
    assert due is not None, "a failure or a clock jump cleared the schedule"
    slack = schedule.interval + (DAY if schedule.at else timedelta(0)) + max(BACKOFF)
    assert due <= now + slack, f"the next run is {due - now} away after the clock moved"
