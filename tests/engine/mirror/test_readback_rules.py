"""What counts as damage when a mirror is read back: a copy whose time agrees but whose bytes do not."""

from __future__ import annotations

import os
from pathlib import Path

from engine.files.compare import DIFFERS, MISSING, MOVED_ON, SAME, compare_files
from engine.jobs.mirror.apply import real_path
from engine.jobs.mirror.readback import _moved_on


def test_a_source_saved_again_after_the_copy_is_not_damage(tmp_path: Path) -> None:
    source, copy = tmp_path / "a.txt", tmp_path / "b.txt"
    source.write_text("one")
    copy.write_text("one")
    os.utime(copy, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns))
    rule = _moved_on(1)
    assert compare_files(str(source), str(copy), None, rule).outcome == SAME  # same time: bytes compared
    copy.write_text("onf")
    os.utime(copy, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns))
    assert compare_files(str(source), str(copy), None, rule).outcome == DIFFERS  # same time, other bytes
    source.write_text("two, saved later")
    os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns + 10**9))
    found = compare_files(str(source), str(copy), None, rule)
    assert found.outcome == MOVED_ON and "changed since it was copied" in found.detail
    assert compare_files(str(source), str(tmp_path / "gone"), None, rule).outcome == MISSING


def test_relative_paths_join_as_the_os_wants_them() -> None:
    assert real_path("/r", "") == "/r"
    assert real_path("/r", "a/b c/d.txt") == os.path.join("/r", "a", "b c", "d.txt")
    assert real_path(os.sep, "x/y") == os.path.join(os.sep, "x", "y")
