"""A second export of a model never overwrites a good one blindly, and every export is flushed.

- the same day: the earlier export moves to ``<target>/.rearguard/versions/<run>/`` only after the
  new one passed every check;
- an export below half the previous one is kept beside it under its own name, not over it;
- the exported file is fsynced before it is renamed into place, and its folder after.
"""

from __future__ import annotations

import errno
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.core.state import StateDB
from engine.jobs.revit.export_history import previous_exports
from engine.jobs.revit.retention import model_copies
from tests.engine.flush_recorder import Recorder
from tests.engine.revit.conftest import DAY, FIXED_NOW, World, only_item
from tests.fakes.revit_server import FakeModel

MODEL = r"Office\Tower A\Model.rvt"
FINAL = f"{DAY}/Office/Tower A/Model.rvt"


def _versions(target: Path) -> list[str]:
    return sorted(p.relative_to(target).as_posix() for p in (target / ".rearguard").rglob("*.rvt"))


def test_an_earlier_export_of_the_same_day_is_kept_as_a_version(world: World) -> None:
    w = world(rows=[FakeModel(MODEL, scenario={"scenario": "ok", "kib": 16})])
    assert w.run().exit_code == 0
    earlier = (w.target / FINAL).read_bytes()
    w.server.set_scenarios({MODEL: {"scenario": "ok", "kib": 20}})
    outcome = w.run(now=FIXED_NOW + timedelta(minutes=30))

    assert outcome.exit_code == 0 and only_item(outcome, MODEL)["status"] == "done"
    assert (w.target / FINAL).stat().st_size > len(earlier)  # the new one is in place
    kept = _versions(w.target)
    assert len(kept) == 1 and kept[0].endswith(f"/{FINAL}")  # .rearguard/versions/<run>/<day>/...
    assert (w.target / kept[0]).read_bytes() == earlier
    assert [p for p in w.files() if not p.startswith(".rearguard/")] == [FINAL]


def test_a_failed_second_export_leaves_the_earlier_in_place_and_no_version(world: World) -> None:
    w = world(rows=[FakeModel(MODEL)])
    w.run()
    earlier = (w.target / FINAL).read_bytes()
    w.server.set_scenarios({MODEL: "not_ole"})
    assert w.run(now=FIXED_NOW + timedelta(minutes=30)).exit_code == 1
    assert (w.target / FINAL).read_bytes() == earlier
    assert _versions(w.target) == []


def test_an_export_below_half_of_todays_earlier_one_is_kept_beside_it(world: World) -> None:
    w = world(rows=[FakeModel(MODEL, scenario={"scenario": "ok", "kib": 64})])
    w.run()
    earlier = (w.target / FINAL).read_bytes()
    w.server.set_scenarios({MODEL: {"scenario": "ok", "kib": 8}})
    outcome = w.run(now=FIXED_NOW + timedelta(minutes=30))
    assert outcome.report is not None

    assert (w.target / FINAL).read_bytes() == earlier  # not over it
    beside = [p for p in w.files() if ".below-half-" in p]
    assert beside == [f"{DAY}/Office/Tower A/Model.below-half-183000Z.rvt"]
    small = (w.target / beside[0]).stat().st_size
    assert small * 2 < len(earlier)
    item = only_item(outcome, MODEL)
    assert item["status"] == "done" and "less than half" in item["message"]
    assert "Model.below-half-183000Z.rvt" in item["message"]
    assert [m for m in outcome.report.warnings if "less than half" in m] != []
    assert outcome.exit_code == 0
    assert _versions(w.target) == []
    state = StateDB(w.folders.state_db)
    try:
        recorded = previous_exports(state, "revit-test")[MODEL]
    finally:
        state.close()
    assert recorded.location == str(w.target / beside[0]) and recorded.size == small


def test_an_export_below_half_of_an_earlier_days_one_is_kept_under_its_own_name(world: World) -> None:
    w = world(rows=[FakeModel(MODEL, scenario={"scenario": "ok", "kib": 64})], window_hours=0)
    w.run()
    w.server.set_scenarios({MODEL: {"scenario": "ok", "kib": 8}})
    outcome = w.run(now=FIXED_NOW + timedelta(days=1))

    assert outcome.exit_code == 0
    assert sorted(p for p in w.files() if not p.startswith(".")) == [
        FINAL,
        "2024-11-13/Office/Tower A/Model.below-half-180000Z.rvt",
    ]
    # Retention does not count the small file as a copy of the model: the good one stays its
    # newest copy, so its folder is not removed because of the small one.
    models, _ = model_copies(str(w.target / "2024-11-13"))
    assert models == set()


def test_a_small_export_that_stays_small_becomes_the_export_again(world: World) -> None:
    w = world(rows=[FakeModel(MODEL, scenario={"scenario": "ok", "kib": 64})], window_hours=0)
    w.run()
    w.server.set_scenarios({MODEL: {"scenario": "ok", "kib": 8}})
    w.run(now=FIXED_NOW + timedelta(days=1))
    third = w.run(now=FIXED_NOW + timedelta(days=2))  # compared with the small one

    assert third.exit_code == 0 and "less than half" not in only_item(third, MODEL)["message"]
    assert (w.target / "2024-11-14/Office/Tower A/Model.rvt").is_file()


def test_an_export_is_flushed_before_it_is_renamed_into_place(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world(rows=[FakeModel(MODEL), FakeModel(r"Office\Other.rvt")])
    recorder = Recorder(str(w.target / DAY)).install(monkeypatch)
    assert w.run().exit_code == 0
    installed = recorder.check_installed_safely(mtime=False)  # the tool's own mtime is kept
    assert sorted(installed) == sorted([str(w.target / FINAL), str(w.target / DAY / "Office" / "Other.rvt")])


def test_old_version_folders_go_with_retention(world: World) -> None:
    w = world(rows=[FakeModel(MODEL)])
    old = w.target / ".rearguard" / "versions" / "2024-09-01T100000.000000Z" / "2024-09-01" / "a.rvt"
    recent = w.target / ".rearguard" / "versions" / "2024-11-01T100000.000000Z" / "2024-11-01" / "a.rvt"
    for path in (old, recent):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"x")
    assert w.run().exit_code == 0
    assert not old.parents[1].exists() and recent.exists()


def test_a_failed_rename_puts_the_earlier_export_back(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    w = world(rows=[FakeModel(MODEL, scenario={"scenario": "ok", "kib": 16})])
    w.run()
    earlier = (w.target / FINAL).read_bytes()
    w.server.set_scenarios({MODEL: {"scenario": "ok", "kib": 20}})
    real_replace = os.replace

    def replace(source: Any, target: Any, **kwargs: Any) -> None:
        if ".~rg." in os.fspath(source) and os.fspath(target).endswith("Model.rvt"):
            raise OSError(errno.EIO, "Input/output error")
        real_replace(source, target, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    outcome = w.run(now=FIXED_NOW + timedelta(minutes=30))

    assert outcome.exit_code == 1
    item = only_item(outcome, MODEL)
    assert item["status"] == "failed" and "cannot put the export in place" in item["message"]
    assert (w.target / FINAL).read_bytes() == earlier
    assert _versions(w.target) == []
