"""Seeded benchmark datasets: many small files in a deep tree, and a few large files.

Shaped like the reference measurements: ~50 files per folder up to 5 levels deep, sizes mostly
0.5-16 KiB (log-uniform), some empty and tiny files, dotfiles, spaces and non-ASCII names.
"""

from __future__ import annotations

import math
import os
import random
from pathlib import Path

WORDS = ["Projekt", "Zürich", "plan", "Tower A", "Ébauche", "data", "notes", "São Paulo", "x", "öl"]


def _size(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.02:
        return 0
    if roll < 0.12:
        return int(math.exp(rng.uniform(0, math.log(511))))
    return int(math.exp(rng.uniform(math.log(512), math.log(16 * 1024))))


def make_small(root: Path, files: int, seed: int = 1) -> Path:
    """``files`` small files in about files/50 folders; returns root."""
    rng = random.Random(seed)
    folders = [root]
    root.mkdir(parents=True, exist_ok=True)
    for i in range(max(1, files // 50) - 1):
        parent = rng.choice([f for f in folders if len(f.relative_to(root).parts) < 5])
        name = f"{rng.choice(WORDS)} {i}" if rng.random() < 0.3 else f"dir{i}"
        if rng.random() < 0.02:
            name = "." + name
        folder = parent / name
        folder.mkdir()
        folders.append(folder)
    payload = rng.randbytes(16 * 1024)
    base = 1_600_000_000
    for i in range(files):
        folder = folders[i % len(folders)]
        name = f"{rng.choice(WORDS)}_{i}.dat" if rng.random() < 0.3 else f"file{i}.txt"
        if rng.random() < 0.03:
            name = "." + name
        path = folder / name
        size = _size(rng)
        start = rng.randrange(0, 16 * 1024 - size + 1)
        path.write_bytes(payload[start : start + size])
        mtime = base + rng.randrange(0, 3 * 365 * 86400)
        os.utime(path, (mtime, mtime))
    for i in range(8):
        (root / f"empty folder {i}").mkdir(exist_ok=True)
    return root


def make_large(root: Path, count: int, size_mib: int, seed: int = 2) -> Path:
    """``count`` incompressible files of ``size_mib`` MiB each."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    block = 4 * 1024 * 1024
    for i in range(count):
        with open(root / f"large{i}.bin", "wb") as handle:
            for _ in range(max(1, size_mib * 1024 * 1024 // block)):
                handle.write(rng.randbytes(block))
    return root


def pick(root: Path, count: int, seed: int) -> list[Path]:
    """``count`` seeded files under root (for 'changed file' cases)."""
    every = sorted(p for p in root.rglob("*") if p.is_file())
    return random.Random(seed).sample(every, min(count, len(every)))
