"""The scan set against the index, file by file: which files differ and which indexed files it did not see.

``diff_rows`` takes the index as rows streamed from the state DB, so no dict of 100,000 indexed
files is ever built. A forked scan worker runs it on its own subtrees with the rows under them
(each worker reads them with its own connection); the parent merges the small results. The
planner then decides from the merged ``Diff`` what to upload and delete.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

Row = tuple[str, int, int]  # an index row: path, size, mtime_ns
Seen = tuple[int, int]  # (size, mtime_ns) as the scan saw it, or as the index holds it


@dataclass
class Diff:
    """What the planner needs of a scan and the index.

    ``differ``: every scanned file that is new, changed or in the retry queue: path -> (seen,
    indexed or None). ``gone``: every indexed file the scan did not list: path -> indexed size
    (the planner keeps those it could not see or that a filter now leaves out).
    """

    differ: dict[str, tuple[Seen, Seen | None]] = field(default_factory=dict)
    gone: dict[str, int] = field(default_factory=dict)
    scanned: int = 0  # files the scan listed
    indexed: int = 0  # index rows read

    def add(self, other: Diff) -> None:
        self.differ.update(other.differ)
        self.gone.update(other.gone)
        self.scanned += other.scanned
        self.indexed += other.indexed


def diff_rows(files: dict[str, Seen], rows: Iterable[Row], retries: Collection[str]) -> Diff:
    """``files`` (a scan's, or part of one; emptied here) against the index ``rows`` for the same paths."""
    diff = Diff(scanned=len(files))
    differ, gone, take = diff.differ, diff.gone, files.pop
    for path, size, mtime_ns in rows:
        diff.indexed += 1
        seen = take(path, None)
        if seen is None:
            gone[path] = size
        elif seen[1] != mtime_ns or seen[0] != size or path in retries:
            differ[path] = (seen, (size, mtime_ns))
    for path, seen in files.items():
        differ[path] = (seen, None)
    files.clear()
    return diff
