"""Source trees that remember every version of every file, and the checks run after a crash.

A file in a target is fine when its bytes are one of the versions its source really had; anything
else under a real name is a torn or foreign file. A version once seen in a target must still be
there afterwards, or in the versions folder: otherwise it was lost.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from engine.core.folders import Folders
from engine.core.state import StateDB
from engine.files.atomic import is_temp_name

T0 = 1_600_000_000
STATE_DIR = ".rearguard"
VERSIONS = ".rearguard/versions"
# rclone uploads to "<name>.<8 hex>.partial" and renames it when complete.
RCLONE_PARTIAL = re.compile(r"\.[0-9a-f]{8}\.partial$")
_MIRROR_SUFFIX = re.compile(r"\.\d{12}$")  # the same path set aside twice in one run (versions.py)
RUN_STATUSES = {"running", "interrupted", "ok", "failed", "refused", "cancelled", "unavailable"}

Pair = tuple[str, str]  # (relative path, sha256 of the content)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def mirror_temp(name: str) -> bool:
    return is_temp_name(name)


def rclone_temp(name: str) -> bool:
    return bool(RCLONE_PARTIAL.search(name))


@dataclass
class SourceTree:
    """A source folder whose every written version is remembered, each with its own mtime."""

    root: Path
    rng: random.Random
    versions: dict[str, set[str]] = field(default_factory=dict)
    tick: int = 0
    added: list[str] = field(default_factory=list)  # by the last mutate()
    replaced: list[str] = field(default_factory=list)  # changed or deleted by the last mutate()

    def write(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        # A distinct mtime per version: two writes within one clock tick must still look different.
        self.tick += 1
        stamp = (T0 + self.tick) * 10**9 + self.rng.randrange(10**9)
        os.utime(path, ns=(stamp, stamp))
        self.versions.setdefault(rel, set()).add(sha(data))

    def small(self) -> bytes:
        return self.rng.randbytes(self.rng.randrange(1, 8192))

    def populate(self, files: int, folders: int = 8, big: int = 0, big_size: int = 0) -> None:
        for n in range(files):
            self.write(f"d{n % folders}/f{n:04}.dat", self.small())
        for n in range(big):
            self.write(f"big/b{n}.bin", self.rng.randbytes(big_size))

    def paths(self) -> list[str]:
        return sorted(real_files(self.root, skip_state=False, temp=lambda _name: False))

    def mutate(self, change: int, add: int, delete: int, big: int = 0) -> int:
        """Change, add and delete files; returns how many entries a run now has to handle."""
        paths = self.paths()
        smalls = [p for p in paths if not p.startswith("big/")]
        bigs = [p for p in paths if p.startswith("big/")]
        changed = self.rng.sample(smalls, min(change, len(smalls)))
        for rel in changed:
            self.write(rel, self.small())
        for rel in self.rng.sample(bigs, min(big, len(bigs))):
            size = (self.root / rel).stat().st_size
            self.write(rel, self.rng.randbytes(size))
            changed.append(rel)
        self.added = []
        for _ in range(add):
            self.tick += 1
            rel = f"d{self.rng.randrange(8)}/new{self.tick:05}.dat"
            self.write(rel, self.small())
            self.added.append(rel)
        untouched = sorted(set(smalls) - set(changed))
        victims = self.rng.sample(untouched, min(delete, len(smalls) // 10))
        for rel in victims:
            (self.root / rel).unlink(missing_ok=True)
        self.replaced = changed + victims
        return len(changed) + len(self.added) + len(victims)

    def current(self) -> dict[str, str]:
        return real_files(self.root, skip_state=False, temp=lambda _name: False)


def real_files(
    root: Path, *, skip_state: bool = True, temp: Callable[[str], bool] = mirror_temp
) -> dict[str, str]:
    """Every file under a real name below ``root`` (relative path -> sha256); temp files left out."""
    out: dict[str, str] = {}
    if not root.is_dir():
        return out
    for here, dirs, names in os.walk(root):
        rel_dir = os.path.relpath(here, root)
        if skip_state and rel_dir == ".":
            dirs[:] = [d for d in dirs if d != STATE_DIR]
        for name in names:
            if temp(name):
                continue
            path = os.path.join(here, name)
            if os.path.islink(path):
                continue
            rel = os.path.normpath(os.path.join(rel_dir, name)).replace(os.sep, "/")
            with open(path, "rb") as handle:
                out[rel] = sha(handle.read())
    return out


def mtimes(root: Path, temp: Callable[[str], bool] = mirror_temp) -> dict[str, int]:
    """Modification time (ns) of every file under a real name, Rearguard's own folder left out."""
    out: dict[str, int] = {}
    for here, dirs, names in os.walk(root):
        if os.path.relpath(here, root) == ".":
            dirs[:] = [d for d in dirs if d != STATE_DIR]
        for name in names:
            if not temp(name):
                path = os.path.join(here, name)
                out[os.path.relpath(path, root).replace(os.sep, "/")] = os.stat(path).st_mtime_ns
    return out


def temp_files(root: Path, temp: Callable[[str], bool] = mirror_temp) -> list[str]:
    """Every temporary file anywhere below ``root`` (versions folder included)."""
    found = []
    for here, _dirs, names in os.walk(root):
        found += [os.path.relpath(os.path.join(here, n), root) for n in names if temp(n)]
    return sorted(found)


def version_pairs(root: Path, temp: Callable[[str], bool] = mirror_temp) -> set[Pair]:
    """(path, sha) of every file kept in ``<root>/.rearguard/versions/<run stamp>/``."""
    base = root / VERSIONS
    pairs: set[Pair] = set()
    if not base.is_dir():
        return pairs
    for stamp in base.iterdir():
        for rel, digest in real_files(stamp, skip_state=False, temp=temp).items():
            pairs.add((_MIRROR_SUFFIX.sub("", rel), digest))
    return pairs


def torn(root: Path, tree: SourceTree, temp: Callable[[str], bool] = mirror_temp) -> list[str]:
    """Files under real names whose bytes were never a version of their source file."""
    return sorted(
        rel for rel, digest in real_files(root, temp=temp).items() if digest not in tree.versions.get(rel, ())
    )


def lost(seen: set[Pair], root: Path, temp: Callable[[str], bool] = mirror_temp) -> set[Pair]:
    """Versions once seen in the target that are now neither in it nor in its versions folder."""
    kept = set(real_files(root, temp=temp).items()) | version_pairs(root, temp)
    return seen - kept


def state_problems(folders: Folders) -> list[str]:
    """What is wrong with the state database after a crash (nothing, when it opens and is whole)."""
    if not folders.state_db.exists():
        return []
    notices: list[str] = []
    db = StateDB(folders.state_db, notices=notices)
    try:
        problems = list(notices)
        check = db.conn.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            problems.append(f"integrity_check: {check}")
        for row in db.runs(limit=100_000):
            if row.status not in RUN_STATUSES:
                problems.append(f"run {row.id} has status {row.status!r}")
        return problems
    finally:
        db.close()


def run_statuses(folders: Folders, profile: str) -> list[str]:
    """Statuses of a profile's runs, oldest first."""
    conn = sqlite3.connect(folders.state_db)
    try:
        rows = conn.execute("SELECT status FROM runs WHERE profile = ? ORDER BY id", (profile,)).fetchall()
    except sqlite3.OperationalError:  # a database still being created by a run that just started
        return []
    finally:
        conn.close()
    return [row[0] for row in rows]


def wipe(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
