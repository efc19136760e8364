"""Reading a ``.rvt`` back: is it a sound OLE2 compound file that Revit saved?

The 8-byte header proves little: a file whose FAT or directory is destroyed still starts with it,
and olefile, a lenient reader, opens such a file and lists an empty directory. So the check is:

1. the export's own check (it exists, is not empty, starts with the OLE2 header);
2. it is at least header + FAT + directory long, every FAT sector it names is inside the file, and
   the directory's sector chain ends (no loop, nothing past the end of the file);
3. olefile opens it and reads its directory, which has a root entry and a ``BasicFileInfo`` stream;
4. the sector chain of every stream (FAT, and MiniFAT for small ones) is as long as the stream,
   stays inside the file and shares no sector with another stream;
5. ``BasicFileInfo`` is read (it names the Revit release that saved the model);
6. with ``full``, every stream is read to its end, in large sequential reads.

Steps 2 and 4 only look at tables already in memory, so a sample check reads a few KiB per model.
"""

from __future__ import annotations

import os
import re
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import olefile

from engine.jobs.revit.model_paths import os_path
from engine.jobs.revit.verify import export_problem

ENDOFCHAIN = 0xFFFFFFFE
MAXREGSECT = 0xFFFFFFFA
HEADER_SIZE = 512
HEADER_DIFAT = 109
MIN_SIZE = 3 * 512  # header, one FAT sector, one directory sector
READ_CHUNK = 1 << 20
BASIC_FILE_INFO = "BasicFileInfo"

_PLAIN = r"[^()\r\n\x00]*"
_PRODUCT = re.compile(
    rf"Autodesk Revit(?: [A-Za-z]+)* \d{{4}}(?: \(Build: {_PLAIN}(?:\({_PLAIN}\))?{_PLAIN}\))?"
)
_FORMAT = re.compile(r"Format: (\d{4})")


@dataclass(frozen=True, slots=True)
class RvtCheck:
    """What reading a ``.rvt`` back found: ``problem`` is None when it is sound."""

    problem: str | None
    release: str = ""  # e.g. "Autodesk Revit 2024 (Build: 20230308_1635(x64))"
    streams: int = 0
    bytes_read: int = 0
    cancelled: bool = False


class _Damage(Exception):
    """The file is not a sound compound file; the message says how."""


@dataclass(frozen=True, slots=True)
class _Stream:
    path: str
    start: int
    size: int


def revit_release(data: bytes) -> str:
    """The Revit release ``BasicFileInfo`` names ("Autodesk Revit 2024 (Build: …)"), or ""."""
    texts = (
        data.decode("utf-16-le", errors="replace"),
        data[1:].decode("utf-16-le", errors="replace"),
        data.decode("latin-1"),
    )
    for text in texts:
        found = _PRODUCT.search(text)
        if found:
            return found.group(0)
    for text in texts:
        year = _FORMAT.search(text)
        if year:
            return f"Revit {year.group(1)} file format"
    return ""


def check_rvt(path: str, *, full: bool, cancel: threading.Event | None = None) -> RvtCheck:
    """Read the export at ``path`` back (see the module's steps); never raises for a bad file."""
    problem = export_problem(path)
    if problem is not None:
        return RvtCheck(problem)
    try:
        with open(os_path(path), "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size < MIN_SIZE:
                raise _Damage(
                    f"the file holds only {size} bytes: an OLE2 header without the FAT and directory"
                    " that follow it (an incomplete export)"
                )
            tables = _check_tables(handle, size)
            return _check_contents(handle, size, tables, full, cancel)
    except _Damage as damage:
        return RvtCheck(str(damage))
    except OSError as error:
        return RvtCheck(f"the file cannot be read ({error.strerror or error})")


_MARKS = {
    0xFFFFFFFF: "a free-sector mark",
    0xFFFFFFFD: "a FAT-sector mark",
    0xFFFFFFFC: "a DIFAT-sector mark",
}


def _sector(number: int) -> str:
    """A sector number as a message shows it (the FAT's special values by name)."""
    return f"{number:#x} ({_MARKS[number]})" if number in _MARKS else str(number)


def _u32(data: bytes, offset: int) -> int:
    value: int = struct.unpack_from("<I", data, offset)[0]
    return value


def _check_tables(handle: BinaryIO, size: int) -> set[int]:
    """Step 2: the FAT sectors are inside the file and the directory's chain ends properly.

    Returns the sectors the FAT and the directory occupy (no stream may use them too).
    """
    handle.seek(0)
    header = handle.read(HEADER_SIZE)
    shift = struct.unpack_from("<H", header, 30)[0]
    if shift not in (9, 12):
        raise _Damage(f"the OLE2 header is damaged (sector size 2^{shift})")
    sector = 1 << shift
    sectors = (size + sector - 1) // sector - 1  # as olefile counts them
    fat_count = _u32(header, 44)
    fat_sectors = [_u32(header, 76 + 4 * n) for n in range(min(fat_count, HEADER_DIFAT))]
    difat, difat_count = _u32(header, 68), _u32(header, 72)
    seen: set[int] = set()
    while len(fat_sectors) < fat_count and difat_count > 0 and difat < sectors and difat not in seen:
        seen.add(difat)
        handle.seek((difat + 1) * sector)
        block = handle.read(sector).ljust(sector, b"\0")
        fat_sectors += [_u32(block, 4 * n) for n in range(sector // 4 - 1)]
        difat, difat_count = _u32(block, sector - 4), difat_count - 1
    fat_sectors = fat_sectors[:fat_count]
    if fat_count == 0 or len(fat_sectors) < fat_count:
        raise _Damage("the FAT is damaged: the header does not say where all of it is")
    beyond = [s for s in fat_sectors if s >= sectors]
    if beyond:
        raise _Damage(
            f"the file is truncated or its header damaged: the FAT lies in sector {beyond[0]},"
            f" past the end of the file ({sectors} sectors)"
        )
    per_sector = sector // 4

    def fat_entry(index: int) -> int:
        where = index // per_sector
        if where >= len(fat_sectors):
            raise _Damage(f"the FAT is damaged: it does not cover sector {index}")
        handle.seek((fat_sectors[where] + 1) * sector + 4 * (index % per_sector))
        return _u32(handle.read(4).ljust(4, b"\0"), 0)

    current = _u32(header, 48)
    chain: set[int] = set()
    while current != ENDOFCHAIN:
        if current > MAXREGSECT or current >= sectors:
            if not chain:
                raise _Damage(
                    f"the FAT or directory is destroyed: the header puts the directory in sector"
                    f" {_sector(current)}, outside the file ({sectors} sectors)"
                )
            raise _Damage(
                f"the FAT is destroyed or the file truncated: the directory's sector chain leads to"
                f" sector {_sector(current)}, outside the file ({sectors} sectors)"
            )
        if current in chain:
            raise _Damage(
                f"the FAT is destroyed: the directory's sector chain loops back to sector {current}"
            )
        chain.add(current)
        current = fat_entry(current)
    return chain | set(fat_sectors)


def _streams(ole: Any) -> Iterator[_Stream]:
    """Every stream in the directory with its path ("Global/Latest"), first sector and size."""
    pending: list[tuple[str, Any]] = [("", ole.root)]
    while pending:
        prefix, node = pending.pop()
        for kid in node.kids:
            name = f"{prefix}{kid.name}"
            if kid.entry_type == olefile.STGTY_STREAM:
                yield _Stream(name, int(kid.isectStart), int(kid.size))
            elif kid.entry_type == olefile.STGTY_STORAGE:
                pending.append((name + "/", kid))


def _open(handle: BinaryIO) -> Any:
    """Step 3: olefile parses the header, the FAT and the directory."""
    handle.seek(0)
    try:
        return olefile.OleFileIO(handle)
    # A damaged file can make the parser fail in many ways (its own errors, IndexError, struct.error
    # …); every one of them means the same thing here.
    except Exception as error:
        raise _Damage(
            f"the compound file cannot be opened, its FAT or directory is damaged ({error})"
        ) from None


def _chain(
    table: list[int], start: int, size: int, unit: int, name: str, used: set[int], mini: bool = False
) -> list[int]:
    """Step 4 for one stream: its sectors in ``table`` (the FAT, or with ``mini`` the MiniFAT), checked."""
    fat, space = ("MiniFAT", "mini stream") if mini else ("FAT", "file")
    count = (size + unit - 1) // unit
    sectors: list[int] = []
    current = start
    for _ in range(count):
        if current == ENDOFCHAIN:
            raise _Damage(
                f"the {fat} is damaged: stream '{name}' ends after {len(sectors)} of its {count} sectors"
            )
        if current >= len(table):
            raise _Damage(
                f"the file is truncated or its {fat} damaged: stream '{name}' needs sector"
                f" {_sector(current)}, past the end of the {space} ({len(table)} sectors)"
            )
        if current in used:
            raise _Damage(
                f"the {fat} is damaged: sector {current} of stream '{name}' is also used by another"
                " stream, the FAT or the directory"
            )
        used.add(current)
        sectors.append(current)
        current = table[current]
    return sectors


def _ends_inside(sectors: list[int], name: str, size: int, unit: int, file_size: int) -> None:
    """A stream's last sector holds its last bytes: the file must reach that far."""
    if sectors:
        end = (sectors[-1] + 1) * unit + size - (len(sectors) - 1) * unit
        if end > file_size:
            raise _Damage(
                f"the file is truncated: stream '{name}' ends at byte {end:,} and the file at {file_size:,}"
            )


def _check_contents(
    handle: BinaryIO, file_size: int, tables: set[int], full: bool, cancel: threading.Event | None
) -> RvtCheck:
    ole = _open(handle)
    try:
        if ole.root is None or ole.root.entry_type != olefile.STGTY_ROOT:
            raise _Damage("the directory is destroyed: it has no root entry (olefile would list nothing)")
        streams = list(_streams(ole))
        if not streams:
            raise _Damage("the directory is destroyed or empty: it lists no stream")
        info = next((s for s in streams if s.path.casefold() == BASIC_FILE_INFO.casefold()), None)
        if info is None:
            raise _Damage(
                f"the {BASIC_FILE_INFO} stream is missing: not a Revit model, or its directory is damaged"
            )
        if info.size == 0:
            raise _Damage(f"the {BASIC_FILE_INFO} stream is empty")
        cutoff, sector = int(ole.minisectorcutoff), int(ole.sectorsize)
        fat: list[int] = list(ole.fat)
        used = set(tables)
        big = {
            s.path: _chain(fat, s.start, s.size, sector, s.path, used) for s in streams if s.size >= cutoff
        }
        for stream in streams:
            if stream.path in big:
                _ends_inside(big[stream.path], stream.path, stream.size, sector, file_size)
        small = [s for s in streams if 0 < s.size < cutoff]
        if small:
            root_size = int(ole.root.size)
            mini = _chain(fat, int(ole.root.isectStart), root_size, sector, "(mini stream)", used)
            _ends_inside(mini, "(mini stream)", root_size, sector, file_size)
            try:
                ole.loadminifat()
            except Exception as error:  # same reasoning as in _open
                raise _Damage(f"the MiniFAT cannot be read ({error})") from None
            minifat: list[int] = list(ole.minifat)
            mini_used: set[int] = set()
            for stream in small:
                _chain(
                    minifat, stream.start, stream.size, int(ole.minisectorsize), stream.path, mini_used, True
                )
        if info.size < cutoff:
            data = _read_small(ole, info)
        else:
            data = _read_big(handle, big[info.path], info, sector, cancel)[0]
        release = revit_release(data)
        read = len(data)
        if full:
            for stream in streams:
                if cancel is not None and cancel.is_set():
                    break
                if stream is info or stream.size == 0:
                    continue
                if stream.size < cutoff:
                    read += len(_read_small(ole, stream))
                else:
                    read += _read_big(handle, big[stream.path], stream, sector, cancel)[1]
        cancelled = cancel is not None and cancel.is_set()
        return RvtCheck(None, release, len(streams), read, cancelled=cancelled)
    finally:
        ole.close()


def _read_small(ole: Any, stream: _Stream) -> bytes:
    try:
        data: bytes = ole.openstream(stream.path).read()
    except Exception as error:  # same reasoning as in _open
        raise _Damage(f"stream '{stream.path}' cannot be read ({error})") from None
    if len(data) != stream.size:
        raise _Damage(f"stream '{stream.path}' holds {len(data)} of its {stream.size} bytes")
    return data


def _read_big(
    handle: BinaryIO, sectors: list[int], stream: _Stream, sector: int, cancel: threading.Event | None
) -> tuple[bytes, int]:
    """Read a stream's sectors, runs of neighbours at once: (its first MiB, how many bytes were read)."""
    kept = bytearray()
    total = 0
    index = 0
    while index < len(sectors):
        if cancel is not None and cancel.is_set():
            break
        end = index + 1
        while end < len(sectors) and sectors[end] == sectors[end - 1] + 1:
            if (end - index) * sector >= READ_CHUNK:
                break
            end += 1
        handle.seek((sectors[index] + 1) * sector)
        block = handle.read((end - index) * sector)
        if len(block) < min((end - index) * sector, stream.size - total):
            raise _Damage(
                f"the file is truncated: stream '{stream.path}' ends at {total + len(block)} of its"
                f" {stream.size} bytes"
            )
        total += len(block)
        if len(kept) < READ_CHUNK:
            kept += block[: READ_CHUNK - len(kept)]
        index = end
    return bytes(kept[: stream.size]), min(total, stream.size)
