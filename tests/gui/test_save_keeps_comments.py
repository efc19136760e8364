"""Issue 18 (also): saving a profile from the window keeps its author's comments and layout."""

from __future__ import annotations

import tomllib
from pathlib import Path

from PySide6.QtCore import Qt

from engine.core.folders import Folders
from engine.core.profile_toml import merged_text
from engine.core.profiles import parse_profile_text, profile_path
from gui.main_window import MainWindow

HAND_WRITTEN = """\
# Projects to the NAS — edited by hand, kept in git.
kind = "mirror"
description = "Projects"   # shown in the window

[mirror]
# where the work is
source = "{source}"
replica = "{replica}"
delete = true              # the default, written on purpose
keep_versions = "30d"
exclude = [
    "*.tmp",  # temporary files
    "~$*",
]

[schedule]
every = "4h"
"""


def test_saving_from_the_form_keeps_comments_order_and_explicit_defaults(
    qtbot, window: MainWindow, folders: Folders, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folders.profiles.mkdir(parents=True, exist_ok=True)
    path = profile_path(folders, "Projects")
    path.write_text(HAND_WRITTEN.format(source=tmp_path / "src", replica=tmp_path / "rep"), encoding="utf-8")
    window.refresh_profiles(select="Projects")
    form = window.editor.form
    keep = form.field("mirror", "keep_versions").widget
    keep.selectAll()  # type: ignore[attr-defined]
    qtbot.keyClicks(keep, "60d")
    form.optional_groups["schedule"].setChecked(False)  # no schedule any more
    qtbot.waitUntil(lambda: window.editor.save_button.isEnabled())
    qtbot.mouseClick(window.editor.save_button, Qt.MouseButton.LeftButton)

    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Projects to the NAS — edited by hand, kept in git.\n")
    for kept in (
        "# shown in the window",
        "# where the work is",
        "# the default, written on purpose",
        "# temporary files",
    ):
        assert kept in text
    assert 'keep_versions = "60d"' in text and "[schedule]" not in text
    assert text.index("source =") < text.index("replica =") < text.index("delete =")
    data = tomllib.loads(text)
    assert data["mirror"]["delete"] is True and data["mirror"]["exclude"] == ["*.tmp", "~$*"]


def test_the_merge_falls_back_to_a_fresh_file_and_adds_new_sections(tmp_path: Path) -> None:
    text = HAND_WRITTEN.format(source=tmp_path / "a", replica=tmp_path / "b")
    spec = parse_profile_text(text, "p").spec
    data = spec.model_dump(exclude_none=True)
    data["notify"] = {"when": "always"}
    data["mirror"]["exclude"] = ["*.bak"]
    changed = type(spec).model_validate(data)
    merged = merged_text(text, changed)
    assert "# where the work is" in merged and "[notify]" in merged
    assert parse_profile_text(merged, "p").spec == changed
    assert parse_profile_text(merged_text("kind = [[[", changed), "p").spec == changed  # broken: anew
