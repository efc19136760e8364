"""Old dated folders go after a good run, but never a model's newest copy or the newest folder."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from engine.jobs.revit.retention import folders_to_remove
from tests.engine.revit.conftest import DAY, RevitWorld, World
from tests.fakes.revit_server import FakeModel

TODAY = date(2024, 11, 12)
OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")


def d(text: str) -> date:
    return date.fromisoformat(text)


def test_old_folders_whose_models_all_have_newer_copies_are_removed() -> None:
    contents = {
        d("2024-09-01"): {"a.rvt", "b.rvt"},
        d("2024-10-01"): {"a.rvt"},
        d("2024-10-02"): set(),
        d("2024-11-12"): {"a.rvt"},
    }
    remove, kept = folders_to_remove(contents, TODAY, 30)
    assert remove == [d("2024-10-01"), d("2024-10-02")]
    assert kept == [d("2024-09-01")]  # the only copy of b.rvt


def test_the_newest_folder_is_never_removed_however_old() -> None:
    contents = {d("2023-01-01"): {"a.rvt"}, d("2023-02-01"): {"a.rvt"}}
    assert folders_to_remove(contents, TODAY, 30) == ([d("2023-01-01")], [])
    assert folders_to_remove({d("2020-01-01"): set()}, TODAY, 1) == ([], [])


def test_a_folder_exactly_keep_days_old_is_kept() -> None:
    contents = {
        TODAY - timedelta(days=30): {"a.rvt"},
        TODAY - timedelta(days=31): {"a.rvt"},
        TODAY: {"a.rvt"},
    }
    assert folders_to_remove(contents, TODAY, 30) == ([TODAY - timedelta(days=31)], [])


def _export(target: Path, day: str, *models: str) -> None:
    for model in models:
        path = target / day / model
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(OLE2 + b"\0" * 16)


def _with_history(world: World) -> tuple[RevitWorld, Path]:
    w = world(rows=[FakeModel(r"Office\A.rvt"), FakeModel(r"Office\B.rvt", timedelta(days=400))])
    _export(w.target, "2024-09-01", "Office/A.rvt", "Office/B.rvt")
    _export(w.target, "2024-10-01", "Office/A.rvt")
    (w.target / "2024-10-05").mkdir()
    _export(w.target, "notes", "Office/A.rvt")
    _export(w.target, "2024-13-01", "Office/A.rvt")
    leftover = w.target / "2024-09-01" / "Office" / ".~rg.dead.A.rvt.part"
    leftover.mkdir()
    (leftover / "A.rvt").write_bytes(OLE2)
    return w, leftover


def test_after_a_good_run_old_folders_go_and_the_only_copy_of_a_model_stays(world: World) -> None:
    w, leftover = _with_history(world)
    outcome = w.run()

    assert outcome.exit_code == 0
    names = sorted(p.name for p in w.target.iterdir())
    assert names == ["2024-09-01", "2024-11-12", "2024-13-01", "notes"]
    assert (w.target / "2024-09-01/Office/B.rvt").is_file()  # B was not edited since
    assert not leftover.exists()  # a killed run's temporary export is cleaned up
    assert (w.target / DAY / "Office/A.rvt").is_file()


def test_after_a_run_with_a_failure_no_old_folder_is_removed(world: World) -> None:
    w, _leftover = _with_history(world)
    w.server.set_scenarios({r"Office\A.rvt": "busy"})
    outcome = w.run()

    assert outcome.exit_code == 1
    assert sorted(p.name for p in w.target.iterdir()) == [
        "2024-09-01",
        "2024-10-01",
        "2024-10-05",
        "2024-11-12",
        "2024-13-01",
        "notes",
    ]


def test_keep_days_is_read_from_the_profile(world: World) -> None:
    w, _leftover = _with_history(world)
    w.run(keep_days=60)
    assert sorted(p.name for p in w.target.iterdir()) == [
        "2024-09-01",
        "2024-10-01",
        "2024-10-05",
        "2024-11-12",
        "2024-13-01",
        "notes",
    ]
