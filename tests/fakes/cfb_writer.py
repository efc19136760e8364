"""A tiny writer of OLE2 compound files (MS-CFB version 3), enough to stand in for a ``.rvt``.

Standard library only: the fake RevitServerTool imports it when run as a script. Layout::

    header (512 bytes) | FAT sectors | MiniFAT sectors | directory sectors | mini stream | big streams

512-byte sectors, 64-byte mini sectors; streams under 4096 bytes live in the mini stream, as the
real format wants. Paths use ``/`` for storages (``Global/Latest``); storages are created as needed.
The sibling tree of each storage is a balanced binary search tree in CFB order with every node
black (readers only search it). Up to 109 FAT sectors (about 7 MB): no DIFAT sectors.

``sector_offsets`` and ``fat_offsets`` let tests damage a file where they mean to.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
HEADER_DIFAT = 109
PER_SECTOR = SECTOR // 4  # FAT or MiniFAT entries in one sector
STORAGE, STREAM, ROOT = 1, 2, 5
BLACK = 1

REVIT_BUILD = "Autodesk Revit 2024 (Build: 20230308_1635(x64))"


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: dict[str, _Entry] = field(default_factory=dict)
    sid: int = 0
    start: int = ENDOFCHAIN
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM


@dataclass(frozen=True)
class Layout:
    """Where things ended up in a written file (sector numbers; offset = (sector + 1) * 512)."""

    fat_sectors: tuple[int, ...]
    minifat_sectors: tuple[int, ...]
    directory_sectors: tuple[int, ...]
    mini_stream_sectors: tuple[int, ...]
    stream_sectors: dict[str, tuple[int, ...]]

    @staticmethod
    def offset(sector: int) -> int:
        return (sector + 1) * SECTOR


def _order(name: str) -> tuple[int, str]:
    """CFB sibling order: shorter names first, then by upper-cased name."""
    return len(name), name.upper()


def _tree(entries: list[_Entry]) -> int:
    """Link ``entries`` (sorted) as a balanced binary search tree; returns the root's id."""
    if not entries:
        return NOSTREAM
    middle = len(entries) // 2
    node = entries[middle]
    node.left = _tree(entries[:middle])
    node.right = _tree(entries[middle + 1 :])
    return node.sid


def _build(streams: Mapping[str, bytes]) -> list[_Entry]:
    """Every directory entry, the root first, numbered in a depth-first order."""
    root = _Entry("Root Entry", ROOT)
    for path, data in streams.items():
        parts = [p for p in path.split("/") if p]
        if not parts:
            raise ValueError(f"empty stream path: {path!r}")
        node = root
        for part in parts[:-1]:
            node = node.children.setdefault(part, _Entry(part, STORAGE))
            if node.kind != STORAGE:
                raise ValueError(f"{part!r} is a stream and a storage in {path!r}")
        if parts[-1] in node.children:
            raise ValueError(f"duplicate stream {path!r}")
        node.children[parts[-1]] = _Entry(parts[-1], STREAM, bytes(data))
    ordered: list[_Entry] = []

    def number(node: _Entry) -> None:
        node.sid = len(ordered)
        ordered.append(node)
        for kid in node.children.values():
            number(kid)

    number(root)
    for node in ordered:
        kids = sorted(node.children.values(), key=lambda e: _order(e.name))
        node.child = _tree(kids)
    return ordered


def _direntry(entry: _Entry, size: int) -> bytes:
    name = entry.name.encode("utf-16-le")
    if len(name) > 62:
        raise ValueError(f"name too long for a directory entry: {entry.name!r}")
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name + b"\0\0",
        len(name) + 2,
        entry.kind,
        BLACK,
        entry.left,
        entry.right,
        entry.child,
        b"\0" * 16,
        0,
        0,
        0,
        entry.start,
        size,
    )


def _empty_direntry() -> bytes:
    return struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"", 0, 0, 0, 0, 0)


def _pad(data: bytes, unit: int) -> bytes:
    return data + b"\0" * (-len(data) % unit)


def _chain(table: list[int], first: int, count: int) -> None:
    for n in range(count):
        table[first + n] = first + n + 1 if n < count - 1 else ENDOFCHAIN


def compound_file_with_layout(streams: Mapping[str, bytes]) -> tuple[bytes, Layout]:
    """An OLE2 compound file holding ``streams`` (path -> content), and where its parts are."""
    entries = _build(streams)
    small = [e for e in entries if e.kind == STREAM and 0 < len(e.data) < MINI_CUTOFF]
    big = [e for e in entries if e.kind == STREAM and len(e.data) >= MINI_CUTOFF]

    minifat: list[int] = []
    mini_stream = b""
    for entry in small:
        count = -(-len(entry.data) // MINI_SECTOR)
        entry.start = len(minifat)
        minifat += [0] * count
        _chain(minifat, entry.start, count)
        mini_stream += _pad(entry.data, MINI_SECTOR)
    if minifat:  # unused MiniFAT entries are free
        minifat += [FREESECT] * (-len(minifat) % PER_SECTOR)
    minifat_bytes = struct.pack(f"<{len(minifat)}I", *minifat)

    directory = _pad(b"".join(b"\0" * 128 for _ in entries), SECTOR)
    n_minifat = len(minifat_bytes) // SECTOR
    n_dir = len(directory) // SECTOR
    n_mini = len(_pad(mini_stream, SECTOR)) // SECTOR
    n_big = sum(-(-len(e.data) // SECTOR) for e in big)
    n_fat = 1
    while n_fat * PER_SECTOR < n_fat + n_minifat + n_dir + n_mini + n_big:
        n_fat += 1
    if n_fat > HEADER_DIFAT:
        raise ValueError("too large for this writer (it writes no DIFAT sectors)")

    fat = [FREESECT] * (n_fat * PER_SECTOR)
    fat_sectors = tuple(range(n_fat))
    for sector in fat_sectors:
        fat[sector] = FATSECT
    next_free = n_fat

    def allocate(count: int) -> tuple[int, ...]:
        nonlocal next_free
        if count == 0:
            return ()
        first = next_free
        _chain(fat, first, count)
        next_free += count
        return tuple(range(first, first + count))

    minifat_sectors = allocate(n_minifat)
    dir_sectors = allocate(n_dir)
    mini_sectors = allocate(n_mini)
    root = entries[0]
    root.start = mini_sectors[0] if mini_sectors else ENDOFCHAIN
    stream_sectors: dict[str, tuple[int, ...]] = {}
    body = b""
    for entry in big:
        sectors = allocate(-(-len(entry.data) // SECTOR))
        entry.start = sectors[0]
        stream_sectors[_path_of(entries, entry)] = sectors
        body += _pad(entry.data, SECTOR)
    for entry in small:
        stream_sectors[_path_of(entries, entry)] = ()

    sizes = {id(e): len(e.data) for e in entries if e.kind == STREAM}
    sizes[id(root)] = len(mini_stream)
    directory = b"".join(_direntry(e, sizes.get(id(e), 0)) for e in entries)
    while len(directory) % SECTOR:
        directory += _empty_direntry()

    difat = list(fat_sectors) + [FREESECT] * (HEADER_DIFAT - n_fat)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        SIGNATURE,
        b"\0" * 16,
        0x003E,
        0x0003,
        0xFFFE,
        9,
        6,
        b"\0" * 6,
        0,
        n_fat,
        dir_sectors[0],
        0,
        MINI_CUTOFF,
        minifat_sectors[0] if minifat_sectors else ENDOFCHAIN,
        n_minifat,
        ENDOFCHAIN,
        0,
    ) + struct.pack(f"<{HEADER_DIFAT}I", *difat)
    assert len(header) == SECTOR
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    data = header + fat_bytes + minifat_bytes + directory + _pad(mini_stream, SECTOR) + body
    assert len(data) == SECTOR * (1 + next_free)
    layout = Layout(fat_sectors, minifat_sectors, dir_sectors, mini_sectors, stream_sectors)
    return data, layout


def _path_of(entries: list[_Entry], target: _Entry) -> str:
    def find(node: _Entry, prefix: str) -> str | None:
        for name, kid in node.children.items():
            here = f"{prefix}{name}"
            if kid is target:
                return here
            found = find(kid, here + "/")
            if found is not None:
                return found
        return None

    found = find(entries[0], "")
    assert found is not None
    return found


def compound_file(streams: Mapping[str, bytes]) -> bytes:
    """An OLE2 compound file holding ``streams`` (path -> content)."""
    return compound_file_with_layout(streams)[0]


def basic_file_info(build: str = REVIT_BUILD, central: str = "") -> bytes:
    """A ``BasicFileInfo`` stream like Revit's: a few numbers, then UTF-16 text naming the release."""
    year = build.split("Revit ", 1)[-1][:4]
    number = build.split("Build: ", 1)[-1]
    number = number[:-1] if number.endswith(")") else number
    text = (
        "Worksharing: Central\r\n"
        "Username: \r\n"
        f"Central Model Path: {central}\r\n"
        f"Format: {year}\r\n"
        f"Build: {number}\r\n"
        "Last Save Path: \r\n"
        "Locale when saved: ENU\r\n"
        f"{build}\r\n"
    )
    return struct.pack("<IIB", 1, 0, 0) + text.encode("utf-16-le")


def payload(size: int, seed: str = "") -> bytes:
    """``size`` bytes of content that differs from one offset (and seed) to the next."""
    block = (seed.encode("utf-8") + bytes(range(256))) * (4096 // (len(seed) + 256) + 1)
    return (block * (size // len(block) + 1))[:size]


def revit_model(kib: int = 16, build: str = REVIT_BUILD, central: str = "") -> bytes:
    """A minimal ``.rvt``: BasicFileInfo, Contents (about ``kib`` KiB), a Global storage and more."""
    return compound_file(
        {
            "BasicFileInfo": basic_file_info(build, central),
            "Contents": payload(max(kib, 0) * 1024, "contents"),
            "TransmissionData": "<TransmissionData/>".encode("utf-16-le"),
            "RevitPreview4.0": payload(600, "preview"),
            "Global/Latest": payload(5000, "latest"),
            "Global/History": payload(300, "history"),
            "Global/ElemTable": payload(1200, "elements"),
        }
    )
