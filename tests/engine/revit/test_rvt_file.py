"""``check_rvt`` on its own: what a sample and a full read cover, and the release it reports."""

from __future__ import annotations

import threading
from pathlib import Path

from engine.jobs.revit.rvt_file import check_rvt, revit_release
from tests.fakes.cfb_writer import basic_file_info, compound_file, payload, revit_model

STREAMS = {
    "BasicFileInfo": basic_file_info(),
    "Contents": payload(40_000, "c"),
    "Global/Latest": payload(9_000, "l"),
    "Small": payload(700, "s"),
}


def test_a_sample_reads_basic_file_info_and_full_reads_every_stream(tmp_path: Path) -> None:
    path = tmp_path / "m.rvt"
    path.write_bytes(compound_file(STREAMS))

    quick = check_rvt(str(path), full=False)
    assert quick.problem is None and quick.bytes_read == len(STREAMS["BasicFileInfo"])
    assert quick.release == "Autodesk Revit 2024 (Build: 20230308_1635(x64))"
    full = check_rvt(str(path), full=True)
    assert full.problem is None and full.streams == 4
    assert full.bytes_read == sum(len(v) for v in STREAMS.values())


def test_a_big_basic_file_info_is_read_from_the_fat(tmp_path: Path) -> None:
    path = tmp_path / "m.rvt"
    info = basic_file_info() + b"\0" * 5000  # past the mini stream cutoff
    path.write_bytes(compound_file({"BasicFileInfo": info, "Contents": payload(100)}))
    found = check_rvt(str(path), full=True)
    assert found.problem is None and found.release.startswith("Autodesk Revit 2024")


def test_a_cancelled_full_read_says_so(tmp_path: Path) -> None:
    path = tmp_path / "m.rvt"
    path.write_bytes(revit_model(64))
    cancel = threading.Event()
    cancel.set()
    assert check_rvt(str(path), full=True, cancel=cancel).cancelled


def test_two_streams_sharing_a_sector_are_a_damaged_fat(tmp_path: Path) -> None:
    streams = {"BasicFileInfo": basic_file_info(), "A": payload(5000), "B": payload(5000)}
    data = bytearray(compound_file(streams))
    # Point B's directory entry at A's first sector: a cross-linked FAT, as a bad repair tool leaves.
    name_b = "B".encode("utf-16-le") + b"\0\0"
    name_a = "A".encode("utf-16-le") + b"\0\0"
    entry_a, entry_b = data.index(name_a.ljust(64, b"\0")), data.index(name_b.ljust(64, b"\0"))
    data[entry_b + 116 : entry_b + 120] = data[entry_a + 116 : entry_a + 120]
    path = tmp_path / "m.rvt"
    path.write_bytes(bytes(data))
    problem = check_rvt(str(path), full=False).problem
    assert problem is not None and "also used by another stream" in problem


def test_the_release_is_found_however_basic_file_info_is_laid_out() -> None:
    text = "Autodesk Revit 2023 (Build: 20220316_1100(x64))"
    assert revit_release(b"\1\2\3" + text.encode("utf-16-le")) == text  # odd offset
    assert revit_release(b"\1\2" + text.encode("utf-16-le")) == text
    assert revit_release(b"xx" + text.encode("ascii")) == text
    assert revit_release("Autodesk Revit Architecture 2012".encode("utf-16-le")) == (
        "Autodesk Revit Architecture 2012"
    )
    assert revit_release("Format: 2021\r\n".encode("utf-16-le")) == "Revit 2021 file format"
    assert revit_release(b"\0" * 40) == ""
