"""What counts as damage when a mirror is read back: a copy whose time agrees but whose bytes do not."""

from __future__ import annotations

import os
from pathlib import Path

from engine.jobs.mirror.readback import _changed_since_copied


def test_a_source_saved_again_after_the_copy_is_not_damage(tmp_path: Path) -> None:
    source, copy = tmp_path / "a.txt", tmp_path / "b.txt"
    source.write_text("one")
    copy.write_text("one")
    os.utime(copy, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns))
    assert _changed_since_copied(str(source), str(copy), 1) is None  # same time: compare the bytes
    source.write_text("two, saved later")
    os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns + 10**9))
    assert "changed since it was copied" in (_changed_since_copied(str(source), str(copy), 1) or "")
    assert _changed_since_copied(str(source), str(tmp_path / "gone"), 1) is None  # missing: compared
