"""A model's last edit comes from its own history; the window includes its boundary."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.jobs.revit.edit_time import (
    describe_age,
    inside_window,
    parse_history_time,
    read_last_edit,
    window_start,
)
from tests.engine.revit.conftest import FIXED_NOW, World, only_item
from tests.fakes.revit_server import FakeModel, write_history

T = datetime(2024, 11, 12, 17, 5, 33, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2024-11-12 17:05:33Z",
        "2024-11-12T17:05:33Z",
        "2024-11-12 17:05:33",
        "2024-11-12T18:05:33+01:00",
        "2024-11-12 17:05:33.0000000Z",
        " 2024-11-12 17:05:33Z ",
    ],
)
def test_history_times_in_the_forms_a_server_writes(text: str) -> None:
    assert parse_history_time(text) == T


def test_seven_fraction_digits_are_accepted() -> None:
    assert parse_history_time("2024-11-12 17:05:33.1234567Z") == T.replace(microsecond=123456)


@pytest.mark.parametrize("value", [None, "", "yesterday", 638670000000000000, b"2024"])
def test_values_that_are_not_times_are_unknown(value: object) -> None:
    assert parse_history_time(value) is None


def test_the_newest_history_entry_wins_whatever_its_row_order(tmp_path: Path) -> None:
    write_history(
        tmp_path / "Data" / "Model.db3",
        ["2024-11-10 10:00:00Z", "2024-11-12 17:05:33Z", "2024-01-01 00:00:00Z"],
    )
    assert read_last_edit(tmp_path).when == T


@pytest.mark.parametrize(
    ("times", "table", "problem"),
    [
        ([None, None], True, "has no times"),
        ([], True, "has no times"),
        ([], False, "cannot be read"),
        (["not a time"], True, "not understood"),
    ],
)
def test_an_unreadable_history_gives_an_unknown_time_with_the_reason(
    tmp_path: Path, times: list[str | None], table: bool, problem: str
) -> None:
    write_history(tmp_path / "Data" / "Model.db3", times, table=table)
    edit = read_last_edit(tmp_path)
    assert edit.when is None and problem in edit.problem
    assert edit.data_files_changed is not None


def test_a_corrupt_history_database_is_unknown_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "Data").mkdir()
    (tmp_path / "Data" / "Model.db3").write_bytes(b"garbage" * 200)
    assert read_last_edit(tmp_path).when is None
    assert not read_last_edit(tmp_path / "elsewhere").known


def test_the_window_includes_its_boundary() -> None:
    start = window_start(FIXED_NOW, 24)
    assert start == FIXED_NOW - timedelta(hours=24)
    assert inside_window(FIXED_NOW - timedelta(hours=24), start)
    assert not inside_window(FIXED_NOW - timedelta(hours=24, seconds=1), start)
    assert inside_window(FIXED_NOW + timedelta(minutes=5), start)  # server clock ahead
    assert window_start(FIXED_NOW, 0) is None
    assert inside_window(FIXED_NOW - timedelta(days=4000), None)


def test_ages_read_like_a_person_would_say_them() -> None:
    assert describe_age(FIXED_NOW, FIXED_NOW - timedelta(hours=23, minutes=59)) == "23h59m ago"
    assert describe_age(FIXED_NOW, FIXED_NOW - timedelta(days=400)) == "400d ago"
    assert describe_age(FIXED_NOW, FIXED_NOW - timedelta(seconds=5)) == "just now"


def test_a_run_one_second_after_the_boundary_leaves_the_model_out(world: World) -> None:
    w = world(rows=[FakeModel(r"B\Boundary.rvt", timedelta(hours=24))])
    assert only_item(w.run(), r"B\Boundary.rvt")["status"] == "done"
    late = w.run(now=FIXED_NOW + timedelta(seconds=1))
    item = only_item(late, r"B\Boundary.rvt")
    assert item["status"] == "skipped" and "outside the 24h window" in item["message"]


def test_folder_times_never_decide_the_window(world: World) -> None:
    w = world(
        rows=[FakeModel(r"A\Old.rvt", timedelta(hours=30)), FakeModel(r"A\New.rvt", timedelta(hours=2))]
    )
    fresh = FIXED_NOW.timestamp()
    stale = (FIXED_NOW - timedelta(days=90)).timestamp()
    for name, stamp in (("Old.rvt", fresh), ("New.rvt", stale)):
        folder = w.server.projects / "A" / name
        for here, _dirs, files in os.walk(folder):
            for entry in [here, *(os.path.join(here, f) for f in files)]:
                os.utime(entry, (stamp, stamp))
    outcome = w.run()

    assert only_item(outcome, r"A\Old.rvt")["status"] == "skipped"
    assert only_item(outcome, r"A\New.rvt")["status"] == "done"
