"""Helpers to build and compare small folder trees in tests."""

from __future__ import annotations

import os
from pathlib import Path


def make_tree(root: Path, files: dict[str, str | bytes], mtime: int | None = None) -> Path:
    """Create files (``"a/b.txt": "content"``; a key ending in '/' makes an empty folder)."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        if rel.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        path.write_bytes(data)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
    return root


def snapshot(root: Path, skip_state: bool = True) -> dict[str, object]:
    """Every entry under root: file -> (bytes, mtime_ns), folder -> 'dir', link -> ('link', target)."""
    out: dict[str, object] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if skip_state and rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d != ".rearguard"]
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name)).replace(os.sep, "/")
            if os.path.islink(path):
                out[rel] = ("link", os.readlink(path))
                if name in dirnames:
                    dirnames.remove(name)
            elif os.path.isdir(path):
                out[rel] = "dir"
            else:
                st = os.stat(path)
                out[rel] = (Path(path).read_bytes(), st.st_mtime_ns)
    return out
