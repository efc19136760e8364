"""Runs that cannot go ahead end with one clear reason and the documented exit code."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from engine.core.errors import ProfileError
from tests.engine.revit.conftest import World


def test_a_missing_model_table_is_exit_2_naming_the_path_and_creates_nothing(world: World) -> None:
    w = world()
    wrong = w.tmp / "typo" / "ModelLocationTable.db3"
    for dry_run in (True, False):
        with pytest.raises(ProfileError) as raised:
            w.run(dry_run=dry_run, model_table=str(wrong))
        assert raised.value.exit_code == 2
        assert str(wrong) in str(raised.value)
    assert not wrong.parent.exists()
    assert w.server.calls() == []


def test_a_wrong_projects_folder_is_exit_2_naming_the_table_it_expected(world: World) -> None:
    w = world()
    wrong = w.tmp / "Revit Server 2023" / "Projects"
    with pytest.raises(ProfileError) as raised:
        w.run(projects_dir=str(wrong))
    assert str(wrong / "ModelLocationTable.db3") in str(raised.value)
    assert not wrong.exists()


def test_a_database_that_is_not_a_model_table_is_exit_2(world: World) -> None:
    w = world()
    other = w.tmp / "Other.db3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE Users (name)")
    conn.commit()
    conn.close()
    with pytest.raises(ProfileError, match="not a Revit Server model table") as raised:
        w.run(model_table=str(other))
    assert str(other) in str(raised.value) and raised.value.exit_code == 2


def test_a_table_whose_projects_folder_is_gone_is_exit_2(world: World) -> None:
    w = world()
    with pytest.raises(ProfileError, match="projects_dir: folder not found"):
        w.run(model_table=str(w.server.table), projects_dir=str(w.tmp / "gone"))


def _tool_that_exists_but_cannot_run(tmp_path: Path, kind: str) -> Path:
    tool = tmp_path / f"RevitServerTool-{kind}"
    if kind == "no-permission":
        tool.write_text("#!/bin/sh\nexit 0\n")
        tool.chmod(0o644)
    elif kind == "not-a-program":
        tool.write_bytes(b"\x00\x01MZ garbage that no kernel can start")
        tool.chmod(0o755)
    else:
        tool.mkdir()
    return tool


@pytest.mark.parametrize("kind", ["missing", "no-permission", "not-a-program", "folder"])
def test_a_tool_that_is_missing_or_cannot_run_is_exit_5(world: World, kind: str) -> None:
    w = world()
    tool = (
        w.tmp / "nope" / "RevitServerTool.exe"
        if kind == "missing"
        else _tool_that_exists_but_cannot_run(w.tmp, kind)
    )
    outcome = w.run(tool=str(tool))

    assert outcome.exit_code == 5
    assert outcome.report is not None and str(tool) in str(outcome.report.reason)
    assert w.server.calls() == []
    assert w.files() == []


def test_a_dry_run_with_a_missing_tool_still_shows_the_plan_and_says_why(world: World) -> None:
    w = world()
    outcome = w.run(dry_run=True, tool=str(w.tmp / "missing.exe"))
    assert outcome.exit_code == 5
    assert outcome.plan is not None and len(outcome.plan.actions) == 10
    assert "not found" in str(outcome.reason)


def test_a_target_inside_the_projects_folder_is_refused(world: World) -> None:
    w = world()
    outcome = w.run(target=str(w.server.projects / "Backups"))
    assert outcome.exit_code == 3
    assert outcome.report is not None and "inside the server's Projects folder" in str(outcome.report.reason)
    assert not (w.server.projects / "Backups").exists()


def test_an_unreachable_target_is_exit_5(world: World) -> None:
    w = world()
    outcome = w.run(target=str(w.tmp / "offline-share" / "backups" / "revit"))
    assert outcome.exit_code == 5
    assert "not reachable" in str(outcome.report.reason)  # type: ignore[union-attr]


def test_a_missing_target_folder_whose_parent_exists_is_created(world: World) -> None:
    w = world()
    assert not w.target.exists() and w.target.parent.is_dir()
    assert w.run().exit_code == 1  # the fixture's missing and refused rows
    assert w.target.is_dir()
