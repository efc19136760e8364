"""Reading a backup back: which files a verify reads, and how far the rotation has come.

After every run (``verify = "sample"``) Rearguard reads back what the run wrote plus a rotating share
of everything else, chosen so that every file is read at least once per ``verify_cycle``:

- Each file (or, for the mirror, each folder) falls into one of ``SLICES`` fixed slices by a hash of
  its path, so the same file is always in the same slice and a new file needs no bookkeeping.
- A run reads as many slices as the time since the last sample covers (``cycle / SLICES`` each:
  one hour of a 30-day cycle), at least one, at most all. A profile run every 4 hours reads 4 of 720
  slices (0.6 % of the files) per run; one run a week reads 23 %; a profile idle for longer than its
  cycle reads everything once.
- When the slices wrap around, every file has been read since that pass began: that time is kept as
  ``covered_since`` ("all 102,311 files read back within the last 30 days").

``rearguard verify --full`` reads everything and counts as a complete pass at once.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from engine.core.report import ItemResult
from engine.core.state import StateDB

SLICES = 720


def slice_of(key: str) -> int:
    """The slice a path belongs to (stable across runs, platforms and Python versions)."""
    return zlib.crc32(key.encode("utf-8", "surrogateescape")) % SLICES


class WrittenPaths(Collection[str]):
    """The paths a run wrote, in the order of its results; a set is made only when one is looked up
    (a mirror's read-back walks them in order: after a first copy of 100,000 files that saves 4 MB)."""

    __slots__ = ("_paths", "_set")

    def __init__(self, paths: Iterable[str] = ()) -> None:
        self._paths = list(paths)
        self._set: frozenset[str] | None = None

    def __contains__(self, path: object) -> bool:
        if self._set is None:
            self._set = frozenset(self._paths)
        return path in self._set

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


@dataclass(frozen=True)
class Sample:
    """What one read-back covers: everything (``full``), or some slices plus what a run wrote."""

    full: bool = False
    slices: frozenset[int] = frozenset()
    written: Collection[str] = frozenset()  # a WrittenPaths after a run

    def wants_key(self, key: str) -> bool:
        """Whether the slice of ``key`` (a file path, or a mirror folder) is read this time."""
        return self.full or (bool(self.slices) and slice_of(key) in self.slices)

    def wants(self, path: str, key: str | None = None) -> bool:
        """Whether the file ``path`` is read: written by the run, or in a slice read this time."""
        return path in self.written or self.wants_key(path if key is None else key)


@dataclass(frozen=True)
class Rotation:
    """Where one profile's rotation stands (a row of the ``readback`` table)."""

    cursor: int = 0
    last_sample: datetime | None = None
    pass_started: datetime | None = None
    covered_since: datetime | None = None
    files: int = 0


@dataclass(frozen=True)
class Step:
    """The slices due now and the rotation after reading them."""

    slices: frozenset[int]
    after: Rotation = field(default_factory=Rotation)


def due(rotation: Rotation, now: datetime, cycle: timedelta, *, at_least: int = 1) -> Step:
    """The slices to read at ``now`` and the rotation once they have been read (pure).

    ``last_sample`` is the time the slices read so far stand for: it moves on by one slice's time per
    slice read, so the part of an hour left over by one run is not lost to the next (runs every 90
    minutes still finish a 30-day pass in 30 days). ``at_least`` slices are read even when less time
    has passed (a verify asked for by hand); reading ahead only makes a pass end sooner.
    """
    per_slice = cycle / SLICES
    if rotation.last_sample is None:
        count, stands_for = at_least, now
    else:
        owed = max(0, int(max(timedelta(0), now - rotation.last_sample) / per_slice))
        count = max(at_least, owed)
        stands_for = rotation.last_sample + count * per_slice
    if count >= SLICES:
        return Step(frozenset(range(SLICES)), full_pass(now, rotation.files))
    slices = frozenset((rotation.cursor + i) % SLICES for i in range(count))
    cursor = rotation.cursor + count
    pass_started = rotation.pass_started or now
    covered_since = rotation.covered_since
    if cursor >= SLICES:  # a whole pass done: every file was read since it began
        cursor -= SLICES
        covered_since, pass_started = pass_started, now
    return Step(slices, Rotation(cursor, stands_for, pass_started, covered_since, rotation.files))


def full_pass(now: datetime, files: int) -> Rotation:
    """The rotation after reading every file at ``now`` (``verify --full``)."""
    return Rotation(0, now, now, now, files)


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def load_rotation(state: StateDB, profile: str) -> Rotation:
    row = state.conn.execute(
        "SELECT cursor, last_sample, pass_started, covered_since, files FROM readback WHERE profile = ?",
        (profile,),
    ).fetchone()
    if row is None:
        return Rotation()
    return Rotation(int(row[0]), _time(row[1]), _time(row[2]), _time(row[3]), int(row[4]))


def save_rotation(state: StateDB, profile: str, rotation: Rotation) -> None:
    def text(stamp: datetime | None) -> str | None:
        return stamp.isoformat() if stamp else None

    with state.transaction() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO readback"
            " (profile, cursor, last_sample, pass_started, covered_since, files) VALUES (?, ?, ?, ?, ?, ?)",
            (
                profile,
                rotation.cursor,
                text(rotation.last_sample),
                text(rotation.pass_started),
                text(rotation.covered_since),
                rotation.files,
            ),
        )


def describe_coverage(rotation: Rotation, now: datetime) -> str:
    """``all 102,311 files read back within the last 12 days`` — or what is still to come."""
    if rotation.covered_since is None:
        if rotation.last_sample is None:
            return "nothing read back yet"
        share = rotation.cursor * 100 // SLICES
        return f"{share} % of the files read back so far in the first pass"
    days = max(0, (now - rotation.covered_since).days)
    within = "today" if days == 0 else f"within the last {days + 1} day{'s' if days else ''}"
    return f"all {rotation.files:,} files read back {within}"


@dataclass
class ReadBack:
    """What a kind's ``read_back`` found: one item per file read or difference, and the target's size.

    Items: ``done`` (read back, same as the source; or ``action="repair"``: copied again), ``failed``
    (a difference: missing, differs, unreadable), ``skipped`` (not comparable now, with the reason,
    e.g. changed since the last backup). ``files`` is how many files the target should hold.
    ``same``: files read back and found alike that have no item (the sample after a run keeps only
    the differences: 100,000 items of nothing to say cost 7 MB).
    """

    items: list[ItemResult] = field(default_factory=list)
    files: int = 0
    same: int = 0

    @property
    def differences(self) -> list[ItemResult]:
        return [item for item in self.items if item.status in ("failed", "refused")]

    @property
    def read(self) -> int:
        return self.same + sum(1 for item in self.items if item.status == "done" or item.status == "failed")
