"""A Revit run's counts add up (issue 18.3): every table row is looked at once, and done + skipped +
failed (refused included) is that number; planned counts the exports the run set out to do."""

from __future__ import annotations

import json
from datetime import timedelta

from engine.core.report import counts_text
from tests.engine.revit.conftest import World
from tests.fakes.revit_server import FakeModel

H = timedelta(hours=1)
ROWS = [
    FakeModel(r"P\A.rvt", 1 * H),
    FakeModel(r"P\B.rvt", 2 * H),
    FakeModel(r"P\C.rvt", 3 * H),
    FakeModel(r"P\Busy.rvt", 1 * H, scenario="busy"),  # planned, fails
    FakeModel(r"P\Old.rvt", 48 * H),  # outside the window: skipped
    FakeModel(r"P\Older.rvt", 72 * H),  # outside the window: skipped
    FakeModel(r"..\escape.rvt", 1 * H),  # refused: never touched
]


def test_the_counts_are_a_partition_of_the_rows_looked_at(world: World) -> None:
    outcome = world(rows=ROWS).run()
    report = outcome.report
    assert report is not None

    counts = report.counts()
    assert counts == {"planned": 4, "done": 3, "skipped": 2, "failed": 2, "refused": 1, "looked_at": 7}
    assert counts["done"] + counts["skipped"] + counts["failed"] == counts["looked_at"] == len(ROWS)
    assert json.loads(json.dumps(report.as_json()))["counts"] == counts  # the same in --json

    line = report.summary().splitlines()[0]  # the CLI's and the log's summary
    assert "3 done, 2 skipped, 2 failed (1 refused) of 7 looked at; 4 planned" in line


def test_the_counts_text_uses_thousands_separators() -> None:
    counts = {"planned": 12000, "done": 11000, "skipped": 500, "failed": 1500, "refused": 0}
    assert counts_text(counts) == "11,000 done, 500 skipped, 1,500 failed of 13,000 looked at; 12,000 planned"
