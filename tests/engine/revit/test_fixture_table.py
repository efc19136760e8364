"""The 17-row fixture table of fake-revit.md, with the tool answering ``ok`` for every model."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from engine.core.events import ItemFinished, ItemStarted
from tests.engine.revit.conftest import DAY, World, items_by_path, only_item
from tests.fakes.revit_server import FakeModel, fixture_rows

OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")
ROWS = fixture_rows()
EXPORTED_ROWS = [1, 3, 5, 6, 7, 8, 11, 12, 15, 17]
EXPORTED = [ROWS[n - 1].path for n in EXPORTED_ROWS]
EXPORTED_FILES = sorted(f"{DAY}/" + "/".join(p.rstrip(" .") for p in path.split("\\")) for path in EXPORTED)
NEVER_CALLED = [ROWS[n - 1].path for n in (2, 4, 9, 13, 14, 16)]


def test_a_run_exports_exactly_the_models_edited_inside_the_window_once_each(world: World) -> None:
    w = world()
    outcome = w.run()

    assert outcome.exit_code == 1  # row 9's folder is missing, rows 13 and 14 are refused
    calls = w.server.calls()
    assert [c["model"] for c in calls] == EXPORTED  # table order, the duplicate row 10 not again
    for call in calls:
        assert call["server"] == "RS01" and call["overwrite"] is True
        assert Path(call["dest"]).is_relative_to(w.target / DAY)
        assert call["dest"].lower().endswith(".rvt")
    assert not set(NEVER_CALLED) & {c["model"] for c in calls}


def test_every_export_lands_under_the_dated_folder_with_its_model_path_and_ole_header(world: World) -> None:
    w = world()
    w.run()

    assert w.files() == EXPORTED_FILES  # no temporary or failed files under any name
    for name in EXPORTED_FILES:
        assert (w.target / name).read_bytes()[:8] == OLE2
    assert (w.target / DAY / "Zürich Süd" / "Überbauung Ost.rvt").is_file()
    assert (w.target / DAY / "A/B/C/D/E/F/Deep Model.rvt").is_file()


def test_nothing_is_written_outside_the_target(world: World) -> None:
    w = world()
    before = {p for p in w.tmp.rglob("*") if not p.is_relative_to(w.target)}
    w.run()
    after = {p for p in w.tmp.rglob("*") if not p.is_relative_to(w.target)}

    new = sorted(str(p.relative_to(w.tmp)) for p in after - before)
    assert all(p.startswith(("rearguard-home", "server0/calls.jsonl")) for p in new), new
    assert not [p for p in w.tmp.rglob("evil.rvt")]
    assert not [p for p in w.tmp.rglob("abs.rvt")]


def test_the_report_gives_every_row_a_status_and_a_reason(world: World) -> None:
    w = world()
    outcome = w.run()
    report = outcome.report
    assert report is not None

    assert report.counts() == {
        "planned": 10,
        "done": 10,
        "skipped": 4,
        "failed": 3,
        "refused": 2,
        "looked_at": 17,
    }
    assert len(report.items) == len(ROWS)
    assert [i.path for i in report.items] == [r.path for r in ROWS]  # table order
    statuses = [i.status for i in report.items]
    assert statuses == [
        "done",
        "skipped",
        "done",
        "skipped",
        "done",
        "done",
        "done",
        "done",
        "failed",
        "skipped",
        "done",
        "done",
        "refused",
        "refused",
        "done",
        "skipped",
        "done",
    ]
    assert "outside the 24h window" in only_item(outcome, ROWS[1].path)["message"]
    assert "model folder missing" in only_item(outcome, ROWS[8].path)["message"]
    duplicate = items_by_path(outcome)[ROWS[0].path]
    assert [d["status"] for d in duplicate] == ["done", "skipped"]
    assert "duplicate of table row 1" in duplicate[1]["message"]
    assert "contains '..'" in only_item(outcome, ROWS[12].path)["message"]
    assert "drive letter" in only_item(outcome, ROWS[13].path)["message"]
    assert "not a model (.rfa)" in only_item(outcome, ROWS[15].path)["message"]
    trailing = only_item(outcome, ROWS[16].path)
    assert trailing["status"] == "done" and "saved as 'Office/Tower C/Trailing .rvt'" in trailing["message"]
    json.dumps(report.as_json())  # the CLI's --json must be able to print it


def test_models_whose_edit_time_cannot_be_read_are_exported_with_a_warning(world: World) -> None:
    w = world()
    outcome = w.run()
    assert outcome.report is not None

    for row in (6, 7, 8):
        item = only_item(outcome, ROWS[row - 1].path)
        assert item["status"] == "done"
        assert "edit time unknown" in item["message"]
        assert any(
            ROWS[row - 1].path in warning and "edit time unknown" in warning
            for warning in outcome.report.warnings
        )


def test_the_non_ascii_model_is_named_intact_in_the_log_and_tool_output_is_decoded(world: World) -> None:
    w = world()
    w.run()
    log = w.log_text()

    assert "Zürich Süd\\Überbauung Ost.rvt | Création de la copie locale de Zürich Süd" in log
    assert "Opération réussie." in log
    assert "\ufffd" not in log


def test_events_report_each_export_start_and_every_row_finish(world: World) -> None:
    w = world()
    w.run()

    started = [e.path for e in w.events if isinstance(e, ItemStarted)]
    finished = [e for e in w.events if isinstance(e, ItemFinished)]
    assert started == EXPORTED
    assert len(finished) == len(ROWS)
    assert sorted(e.status for e in finished) == sorted(
        ["done"] * 10 + ["skipped"] * 4 + ["failed"] + ["refused"] * 2
    )


def test_good_exports_are_remembered_with_their_size_and_location(world: World) -> None:
    w = world()
    w.run()

    conn = sqlite3.connect(w.folders.state_db)
    rows = dict(conn.execute("SELECT item, location FROM exports WHERE profile = 'revit-test'").fetchall())
    conn.close()
    assert sorted(rows) == sorted(EXPORTED)
    assert all(os.path.isfile(location) for location in rows.values())


def test_a_dry_run_lists_every_row_with_edit_time_window_and_reason_and_changes_nothing(world: World) -> None:
    w = world()
    outcome = w.run(dry_run=True)

    assert outcome.exit_code == 0
    data = json.loads(json.dumps(outcome.as_json("revit-test", "revit")))
    rows = sorted(data["actions"] + data["not_planned"], key=lambda a: a["row"])
    assert [r["path"] for r in rows] == [r.path for r in ROWS]
    assert [r["path"] for r in data["actions"]] == EXPORTED
    for row in rows:
        assert {"last_edit", "in_window", "reason", "status"} <= set(row)
    by_row = {r["row"]: r for r in rows}
    assert by_row[1]["last_edit"] == "2024-11-12T17:00:00Z" and by_row[1]["in_window"] is True
    assert by_row[2]["in_window"] is False and "outside the 24h window" in by_row[2]["reason"]
    assert by_row[2]["last_edit"] == "2024-11-11T17:00:00Z"
    assert by_row[5]["in_window"] is True and by_row[5]["last_edit"] == "2024-11-11T18:00:00Z"
    assert by_row[6]["last_edit"] is None and "edit time unknown" in by_row[6]["reason"]
    assert by_row[9]["status"] == "failed" and "model folder missing" in by_row[9]["reason"]
    assert by_row[13]["status"] == "refused" and "unsafe path" in by_row[13]["reason"]
    assert by_row[1]["destination"] == str(w.target / DAY / "Office/Tower A/Tower_A_ARCH.rvt")
    assert data["window_start"] == "2024-11-11T18:00:00Z"
    assert data["export_folder"] == str(w.target / DAY)
    assert not w.target.exists()
    assert w.server.calls() == []


def test_a_window_of_zero_exports_every_model(world: World) -> None:
    w = world()
    outcome = w.run(window_hours=0)
    assert outcome.report is not None

    called = w.server.called_models()
    assert ROWS[1].path in called and ROWS[3].path in called  # 25 h and 400 days ago
    assert len(called) == 12


def test_duplicates_spelled_differently_are_exported_once(world: World) -> None:
    w = world(
        rows=[
            FakeModel(r"Office\Tower A\Model.rvt"),
            FakeModel(r"office\tower a\MODEL.RVT"),
            FakeModel("Office/Tower A/Model.rvt"),
        ]
    )
    outcome = w.run()

    assert outcome.exit_code == 0
    assert w.server.called_models() == [r"Office\Tower A\Model.rvt"]
    assert [i.status for i in outcome.report.items] == ["done", "skipped", "skipped"]  # type: ignore[union-attr]
