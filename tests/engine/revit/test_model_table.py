"""The model table is only ever read: a wrong path is an error naming it, never an empty table."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from pathlib import Path

import pytest

from engine.core.errors import ProfileError
from engine.jobs.revit.model_table import read_model_table, readonly_uri
from tests.fakes.revit_server import write_table


def test_readonly_uris_for_posix_windows_and_unc_paths() -> None:
    assert (
        readonly_uri("/srv/Revit Server/ModelLocationTable.db3", "linux")
        == "file:///srv/Revit%20Server/ModelLocationTable.db3?mode=ro"
    )
    assert readonly_uri("/x/we?ird#%.db3", "linux") == "file:///x/we%3Fird%23%25.db3?mode=ro"
    assert (
        readonly_uri(r"C:\ProgramData\Autodesk\Revit Server 2024\Projects\ModelLocationTable.db3", "win32")
        == "file:///C:/ProgramData/Autodesk/Revit%20Server%202024/Projects/ModelLocationTable.db3?mode=ro"
    )
    assert (
        readonly_uri(r"\\rs01\Projects\ModelLocationTable.db3", "win32")
        == "file:////rs01/Projects/ModelLocationTable.db3?mode=ro"
    )
    assert (
        readonly_uri(r"\\?\C:\P\ModelLocationTable.db3", "win32")
        == "file:///C:/P/ModelLocationTable.db3?mode=ro"
    )
    assert (
        readonly_uri(r"\\?\UNC\rs01\P\ModelLocationTable.db3", "win32")
        == "file:////rs01/P/ModelLocationTable.db3?mode=ro"
    )
    assert readonly_uri("/Zürich/t.db3", "linux") == "file:///Z%C3%BCrich/t.db3?mode=ro"


def test_rows_come_back_in_table_order_with_their_guids(tmp_path: Path) -> None:
    table = tmp_path / "we?ird #dir%" / "ModelLocationTable.db3"
    write_table(table, [r"B\b.rvt", r"A\a.rvt", "Zürich\\z.rvt"])
    rows = read_model_table(str(table), "p")

    assert [r.path for r in rows] == [r"B\b.rvt", r"A\a.rvt", "Zürich\\z.rvt"]
    assert [r.number for r in rows] == [1, 2, 3]
    assert rows[0].normalized == r"B\B.RVT"
    expected = uuid.uuid5(uuid.NAMESPACE_URL, "0:B\\b.rvt")  # how write_table makes them
    assert rows[0].guid == str(expected)


def test_reading_changes_nothing_beside_the_table(tmp_path: Path) -> None:
    table = tmp_path / "ModelLocationTable.db3"
    write_table(table, [r"A\a.rvt"])
    before = (table.read_bytes(), table.stat().st_mtime_ns, sorted(tmp_path.iterdir()))
    read_model_table(str(table), "p")

    assert (table.read_bytes(), table.stat().st_mtime_ns, sorted(tmp_path.iterdir())) == before


@pytest.mark.parametrize("where", ["missing-dir/ModelLocationTable.db3", "ModelLocationTable.db3"])
def test_a_missing_table_names_its_path_and_is_not_created(tmp_path: Path, where: str) -> None:
    path = tmp_path / where
    with pytest.raises(ProfileError) as raised:
        read_model_table(str(path), "office.toml")

    assert raised.value.exit_code == 2
    assert str(path) in str(raised.value) and "not found" in str(raised.value)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_database_without_the_model_table_is_not_a_model_table(tmp_path: Path) -> None:
    path = tmp_path / "Other.db3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE Something (x)")
    conn.commit()
    conn.close()
    with pytest.raises(ProfileError) as raised:
        read_model_table(str(path), "p")
    assert "has no ModelStorageTable" in str(raised.value) and str(path) in str(raised.value)


@pytest.mark.parametrize("content", [b"", b"this is a text file, not SQLite" * 40])
def test_a_file_that_is_no_database_is_not_a_model_table(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "ModelLocationTable.db3"
    path.write_bytes(content)
    with pytest.raises(ProfileError) as raised:
        read_model_table(str(path), "p")
    assert str(path) in str(raised.value)
    assert path.read_bytes() == content


def test_a_folder_in_place_of_the_table_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="is not a file"):
        read_model_table(str(tmp_path), "p")


def _hold_exclusive_lock(path: Path, seconds: float) -> threading.Thread:
    locked = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        locked.set()
        threading.Event().wait(seconds)
        conn.execute("ROLLBACK")
        conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    locked.wait(5)
    return thread


def test_a_table_locked_by_the_server_is_read_on_the_retry(tmp_path: Path) -> None:
    table = tmp_path / "ModelLocationTable.db3"
    write_table(table, [r"A\a.rvt"])
    holder = _hold_exclusive_lock(table, 0.3)
    try:
        rows = read_model_table(str(table), "p", busy_timeout=0.05, pause=0.6)
    finally:
        holder.join()
    assert [r.path for r in rows] == [r"A\a.rvt"]


def test_a_table_locked_through_both_tries_is_a_clear_error(tmp_path: Path) -> None:
    table = tmp_path / "ModelLocationTable.db3"
    write_table(table, [r"A\a.rvt"])
    holder = _hold_exclusive_lock(table, 1.0)
    try:
        with pytest.raises(ProfileError, match="locked by the server"):
            read_model_table(str(table), "p", busy_timeout=0.05, pause=0.1)
    finally:
        holder.join()
