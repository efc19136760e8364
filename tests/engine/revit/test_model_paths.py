"""Rows from the model table never lead outside the Projects folder or the target."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.jobs.revit.model_paths import (
    ModelPath,
    RowProblem,
    classify,
    export_destination,
    model_folder,
)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (r"..\..\Windows\evil.rvt", "contains '..'"),
        (r"Office\..\..\evil.rvt", "contains '..'"),
        ("../evil.rvt", "contains '..'"),
        (r"C:\Temp\abs.rvt", "drive letter"),
        ("c:evil.rvt", "drive letter"),
        (r"\\server\share\unc.rvt", "absolute"),
        ("/etc/evil.rvt", "absolute"),
        (r"\Windows\evil.rvt", "absolute"),
        ("", "empty"),
        ("Office\\bad\x00name.rvt", "control characters"),
        (r"Office\...\x.rvt", "only dots or spaces"),
        (r"Office\CON.rvt", "reserved name"),
        (r"Office\a:b.rvt", 'one of <>:"|?*'),
        (None, "no text path"),
        (b"bytes.rvt", "no text path"),
    ],
)
def test_unsafe_rows_are_refused_with_a_reason(raw: object, why: str) -> None:
    result = classify(raw)
    assert isinstance(result, RowProblem)
    assert result.status == "refused"
    assert why in result.reason


@pytest.mark.parametrize(
    "raw", [r"Office\Families\Door.rfa", r"Office\Template.rte", r"Office\README", r"Office\Tower.rvt.bak"]
)
def test_rows_that_are_not_central_models_are_skipped(raw: str) -> None:
    result = classify(raw)
    assert isinstance(result, RowProblem) and result.status == "skipped"
    assert "not a model" in result.reason


def test_the_model_extension_is_case_insensitive() -> None:
    result = classify(r"Office\Tower C\UPPER.RVT")
    assert isinstance(result, ModelPath)
    assert result.out_parts == ("Office", "Tower C", "UPPER.RVT")


def test_a_trailing_space_or_dot_is_dropped_from_the_export_name_only() -> None:
    result = classify("Office\\Tower C\\Trailing .rvt ")
    assert isinstance(result, ModelPath)
    assert result.raw == "Office\\Tower C\\Trailing .rvt "  # what the tool is asked for
    assert result.out_parts == ("Office", "Tower C", "Trailing .rvt")
    assert result.normalised


def test_spellings_of_the_same_model_share_one_key() -> None:
    keys = {
        classify(p).key
        for p in (  # type: ignore[union-attr]
            r"Office\Tower A\M.rvt",
            r"OFFICE\tower a\m.RVT",
            "Office/Tower A/M.rvt",
            "Office\\\\Tower A\\.\\M.rvt",
        )
    }
    assert len(keys) == 1


def test_windows_destinations_keep_unc_targets_and_model_folders() -> None:
    model = classify(r"Office\Tower A\Tower_A_ARCH.rvt")
    assert isinstance(model, ModelPath)
    assert (
        export_destination(r"\\nas\backups\revit", "2024-11-12", model, "win32")
        == r"\\nas\backups\revit\2024-11-12\Office\Tower A\Tower_A_ARCH.rvt"
    )
    assert (
        export_destination("D:\\Backups\\Revit\\", "2024-11-12", model, "win32")
        == r"D:\Backups\Revit\2024-11-12\Office\Tower A\Tower_A_ARCH.rvt"
    )
    assert (
        export_destination("/srv/revit", "2024-11-12", model, "linux")
        == "/srv/revit/2024-11-12/Office/Tower A/Tower_A_ARCH.rvt"
    )


def test_a_model_folder_saved_by_windows_without_its_trailing_space_is_found(tmp_path: Path) -> None:
    (tmp_path / "Office" / "Trailing.rvt").mkdir(parents=True)
    model = classify("Office\\Trailing.rvt ")
    assert isinstance(model, ModelPath)
    assert model_folder(tmp_path, model) == tmp_path / "Office" / "Trailing.rvt"
    missing = classify(r"Office\Other.rvt")
    assert isinstance(missing, ModelPath) and model_folder(tmp_path, missing) is None


_segment = st.one_of(
    st.sampled_from(["..", ".", "", " ", "C:", "CON", "a.rvt", "x y", "ü"]), st.text(min_size=0, max_size=8)
)


@given(
    st.lists(_segment, min_size=1, max_size=6),
    st.sampled_from(["\\", "/"]),
    st.sampled_from(["", "\\", "/", "C:\\", "\\\\"]),
)
def test_no_row_can_produce_an_export_path_outside_its_dated_folder(
    parts: list[str], sep: str, prefix: str
) -> None:
    raw = prefix + sep.join(parts) + ".rvt"
    result = classify(raw)
    if isinstance(result, RowProblem):
        return
    day = os.path.join(os.sep + "target", "2024-11-12")
    destination = export_destination(os.sep + "target", "2024-11-12", result)
    assert os.path.commonpath([day, os.path.normpath(destination)]) == day
    assert os.path.normpath(destination) != day
    assert ".." not in result.parts and all(result.out_parts)
    win = export_destination(r"\\nas\revit", "2024-11-12", result, "win32")
    assert win.startswith("\\\\nas\\revit\\2024-11-12\\") and "\\..\\" not in win
