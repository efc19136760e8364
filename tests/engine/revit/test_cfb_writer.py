"""The fakes' compound-file writer makes files olefile reads exactly like a real ``.rvt``."""

from __future__ import annotations

import io

import olefile
import pytest

from tests.fakes.cfb_writer import (
    MINI_CUTOFF,
    REVIT_BUILD,
    SIGNATURE,
    compound_file,
    compound_file_with_layout,
    payload,
    revit_model,
)


def _open(data: bytes) -> olefile.OleFileIO:
    # The strictest level: any defect olefile notices, even a doubtful one, raises.
    return olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_UNSURE)


def test_a_fake_revit_model_is_a_sound_compound_file() -> None:
    data = revit_model(16)
    assert data[:8] == SIGNATURE and len(data) % 512 == 0
    with _open(data) as ole:
        assert ole.parsing_issues == []
        assert ole.listdir(streams=False, storages=True) == [["Global"]]
        names = {"/".join(p) for p in ole.listdir()}
        assert {"BasicFileInfo", "Contents", "Global/Latest", "TransmissionData"} <= names
        assert ole.get_type("Global") == olefile.STGTY_STORAGE
        assert ole.get_size("Contents") == 16 * 1024
        info = ole.openstream("BasicFileInfo").read()
        assert REVIT_BUILD in info[9:].decode("utf-16-le")  # after 9 bytes of numbers, as in Revit's


def test_every_stream_reads_back_byte_for_byte_from_the_fat_and_the_mini_stream() -> None:
    streams = {
        "Small": payload(100, "a"),
        "Exactly64": payload(64, "b"),
        "JustBelowCutoff": payload(MINI_CUTOFF - 1, "c"),
        "AtCutoff": payload(MINI_CUTOFF, "d"),
        "Big": payload(70_000, "e"),
        "Empty": b"",
        "A/B/Deep": payload(5000, "f"),
        "A/Beside": payload(10, "g"),
    }
    data, layout = compound_file_with_layout(streams)
    with _open(data) as ole:
        for path, content in streams.items():
            assert ole.openstream(path).read() == content, path
        assert ole.parsing_issues == []
    assert layout.stream_sectors["Small"] == ()  # in the mini stream
    assert len(layout.stream_sectors["Big"]) == -(-70_000 // 512)


def test_many_siblings_are_all_found_through_the_tree() -> None:
    streams = {f"S{n:03d}{'x' * (n % 7)}": payload(10 + n, str(n)) for n in range(60)}
    with _open(compound_file(streams)) as ole:
        for path, content in streams.items():
            assert ole.exists(path)
            assert ole.openstream(path).read() == content


def test_the_writer_refuses_what_it_cannot_write() -> None:
    with pytest.raises(ValueError):
        compound_file({"A": b"x", "A/B": b"y"})
    with pytest.raises(ValueError):
        compound_file({"Huge": bytes(8 * 1024 * 1024)})
