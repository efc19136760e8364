"""Trust what is on the target: an item is done only when the remote confirms it, and what the scan
could not read or a filter leaves out is never deleted on the remote by accident.

Real rclone throughout; where rclone must be made to stay silent, a wrapper script stands in for
the binary and runs the real one (or, for a copy or move, pretends to and exits 0).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from engine.core.report import RunReport
from engine.core.runner import RunOutcome
from engine.jobs.rclone import look, scan
from engine.jobs.rclone.preflight import find_rclone
from engine.jobs.rclone.tally import DELETE_NOT_CONFIRMED, NOT_CONFIRMED
from engine.jobs.rclone.upload import CONFIRMED_BY_LOOK
from tests.engine.rclone.conftest import T0, Rig, write_files

FILES: dict[str, str | bytes] = {
    "a.txt": "alpha",
    "b.txt": "beta",
    "c.txt": "gamma",
    "d.txt": "delta",
    "e.txt": "epsilon",
    "locked/f.txt": "phi",
    "locked/deep/g.txt": "gamma deep",
    "x.tmp": "temp",
    "build/out.o": "object",
    ".hidden": "hidden",
}


def _report(outcome: RunOutcome) -> RunReport:
    assert outcome.report is not None, outcome
    return outcome.report


def _items(report: RunReport, action: str | None = None) -> dict[str, tuple[str, str]]:
    return {i.path: (i.status, i.message) for i in report.items if action in (None, i.action)}


# --- silence is not success ---------------------------------------------------------------------------

WRAPPER = """#!{python}
import os, subprocess, sys
REAL, MODE = {real!r}, {mode!r}
work = sys.argv[1] in ("copy", "move", "delete")
if MODE == "idle" and work:
    sys.exit(0)  # claims success, does nothing, says nothing
if MODE == "blind" and sys.argv[1] == "lsjson" and "--files-from-raw" in sys.argv:
    sys.stderr.write('{{"level":"error","msg":"listing failed: the share went away"}}\\n')
    sys.exit(1)
if not work:
    os.execv(REAL, [REAL, *sys.argv[1:]])
proc = subprocess.Popen([REAL, *sys.argv[1:]], stderr=subprocess.PIPE)
for line in proc.stderr:  # the real work, with rclone's per-file lines taken out
    if b'"object"' in line and any(m in line for m in (b'"msg":"Copied', b'"msg":"Moved', b'"msg":"Deleted')):
        continue
    sys.stderr.buffer.write(line)
    sys.stderr.buffer.flush()
sys.exit(proc.wait())
"""


def silent_rclone(folder: Path, mode: str) -> str:
    """An rclone that gives no per-file line. ``mute``: does the work; ``idle``: does nothing and
    exits 0; ``blind``: like ``mute``, and a look at the remote (lsjson of a list) fails."""
    script = folder / f"rclone-{mode}"
    script.write_text(WRAPPER.format(python=sys.executable, real=find_rclone(), mode=mode))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


SMALL: dict[str, str | bytes] = {"a.txt": "alpha", "docs/b.txt": "beta", "Zürich/ü.txt": "umlaut"}


def test_files_rclone_does_not_mention_are_confirmed_by_a_look_at_the_remote(
    rig: Rig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        look, "TRAVERSE_MIN_FILES", 2
    )  # the first look lists folders, the later ones ask per file
    mute = silent_rclone(tmp_path, "mute")
    write_files(rig.source, SMALL)
    report = _report(rig.run(rclone=mute))  # a first run
    assert report.exit_code == 0, report.as_json()
    assert {p: s for p, (s, _) in _items(report).items()} == dict.fromkeys(SMALL, "done")
    assert all("confirmed by a look at the remote" in m for _, m in _items(report).values())
    assert set(rig.index()) == set(SMALL) and rig.retries() == {}
    write_files(rig.source, {"docs/b.txt": "beta, edited"}, mtime=T0 + 60)
    (rig.source / "a.txt").unlink()
    report = _report(rig.run(rclone=mute))
    assert report.exit_code == 0, report.as_json()
    assert [(i.path, i.action, i.status) for i in report.items] == [
        ("docs/b.txt", "upload", "done"),
        ("a.txt", "delete", "done"),
    ]
    assert rig.index()["docs/b.txt"] == (len("beta, edited"), (T0 + 60) * 10**9)
    assert "a.txt" not in rig.index() and set(rig.target.files()) == {"docs/b.txt", "Zürich/ü.txt"}
    assert rig.target.versions() == {"a.txt": b"alpha", "docs/b.txt": b"beta"}


def test_a_clean_exit_that_did_nothing_records_nothing_and_everything_goes_again(
    rig: Rig, tmp_path: Path
) -> None:
    idle = silent_rclone(tmp_path, "idle")
    write_files(rig.source, SMALL)
    for attempt in (1, 2):  # a first run, twice
        report = _report(rig.run(rclone=idle))
        assert report.exit_code == 1
        note = f" (attempt {attempt})" if attempt > 1 else ""
        message = f"{NOT_CONFIRMED} (it is not on the remote){note}"
        assert _items(report) == dict.fromkeys(SMALL, ("failed", message))
        assert rig.index() == {} and rig.target.files() == {}
        assert {p: e.attempts for p, e in rig.retries().items()} == dict.fromkeys(SMALL, attempt)
    report = _report(rig.run())  # the real rclone: everything goes
    assert report.exit_code == 0 and set(rig.index()) == set(SMALL) and rig.retries() == {}
    # A change of the same size: the remote's older copy differs only in its time.
    write_files(rig.source, {"a.txt": "ALPHA"}, mtime=T0 + 60)
    report = _report(rig.run(rclone=idle))
    assert _items(report) == {
        "a.txt": ("failed", f"{NOT_CONFIRMED} (the remote's copy has another modification time)")
    }
    assert rig.index()["a.txt"] == (5, T0 * 10**9) and list(rig.retries()) == ["a.txt"]
    assert _report(rig.run()).exit_code == 0 and rig.target.files()["a.txt"] == b"ALPHA"
    # A deletion that did not happen stays planned.
    (rig.source / "docs" / "b.txt").unlink()
    report = _report(rig.run(rclone=idle))
    assert report.exit_code == 1
    assert _items(report) == {"docs/b.txt": ("failed", f"{DELETE_NOT_CONFIRMED} (it is still on the remote)")}
    assert "docs/b.txt" in rig.index() and "docs/b.txt" in rig.target.files()
    report = _report(rig.run())
    assert _items(report) == {"docs/b.txt": ("done", "")} and "docs/b.txt" not in rig.index()


def test_a_first_run_adopts_what_the_remote_already_holds_after_a_look(local_rig: Rig) -> None:
    write_files(local_rig.source, SMALL)
    write_files(local_rig.target.root, SMALL)  # the same files, the same times: rclone skips them
    write_files(local_rig.target.root, {"a.txt": "ALPHA"}, mtime=T0 + 60)  # but not this one
    report = _report(local_rig.run())
    assert report.exit_code == 0 and _items(report) == {
        "a.txt": ("done", ""),
        "docs/b.txt": ("done", CONFIRMED_BY_LOOK),
        "Zürich/ü.txt": ("done", CONFIRMED_BY_LOOK),
    }
    assert set(local_rig.index()) == set(SMALL) and local_rig.target.files()["a.txt"] == b"alpha"


def test_when_the_remote_cannot_be_looked_at_nothing_unconfirmed_is_recorded(
    local_rig: Rig, tmp_path: Path
) -> None:
    write_files(local_rig.source, SMALL)
    report = _report(local_rig.run(rclone=silent_rclone(tmp_path, "blind")))
    assert report.exit_code == 1
    assert {s for s, _ in _items(report).values()} == {"failed"}
    message = report.items[0].message
    assert NOT_CONFIRMED in message and "could not be looked at" in message and "share went away" in message
    assert local_rig.index() == {} and set(local_rig.retries()) == set(SMALL)
    assert set(local_rig.target.files()) == set(SMALL)  # it was sent, but nobody confirmed it
    report = _report(local_rig.run())
    assert report.exit_code == 0 and set(local_rig.index()) == set(SMALL) and local_rig.retries() == {}


# --- what the scan could not read -------------------------------------------------------------------


class _Entry:
    """A directory entry whose ``stat`` fails the way an unreadable one does (EACCES, EIO, ...)."""

    def __init__(self, entry: os.DirEntry[str], error: OSError) -> None:
        self._entry, self._error = entry, error
        self.name, self.path = entry.name, entry.path

    def is_dir(self, *, follow_symlinks: bool = True) -> bool:
        return self._entry.is_dir(follow_symlinks=follow_symlinks)

    def is_file(self, *, follow_symlinks: bool = True) -> bool:
        return self._entry.is_file(follow_symlinks=follow_symlinks)

    def is_symlink(self) -> bool:
        return self._entry.is_symlink()

    def stat(self, *, follow_symlinks: bool = True) -> os.stat_result:
        raise self._error


@contextmanager
def unreadable(
    monkeypatch: pytest.MonkeyPatch, files: dict[str, OSError], folders: dict[str, OSError]
) -> Iterator[None]:
    """The scan cannot stat ``files`` nor list ``folders`` (absolute paths), whoever runs it.

    Tests run as root here, and for root ``chmod 000`` blocks nothing: the scan's listing is patched.
    """
    real_open, real_list = scan.open_folder, scan.list_entries

    def open_folder(path: str) -> int | None:
        if path in folders:
            raise folders[path]
        return real_open(path)

    def list_entries(path: str, fd: int | None) -> list[Any]:
        entries = real_list(path, fd)
        return [_Entry(e, files[f"{path}/{e.name}"]) if f"{path}/{e.name}" in files else e for e in entries]

    with monkeypatch.context() as patch:
        patch.setattr(scan, "open_folder", open_folder)
        patch.setattr(scan, "list_entries", list_entries)
        yield


def test_a_file_that_cannot_be_read_is_failed_and_kept_on_the_remote(
    local_rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_files(local_rig.source, {"a.txt": "a", "b.txt": "b", "c.txt": "c", "d.txt": "d"})
    local_rig.run()
    write_files(local_rig.source, {"new.txt": "new"})
    src = str(local_rig.source)
    errors = {
        f"{src}/b.txt": PermissionError(13, "Permission denied"),
        f"{src}/c.txt": OSError(5, "Input/output error"),
        f"{src}/new.txt": PermissionError(13, "Permission denied"),
    }
    with unreadable(monkeypatch, errors, {}):
        dry = local_rig.run(dry_run=True)
        report = _report(local_rig.run())
    assert dry.plan is not None and dry.plan.actions == ()
    assert report.exit_code == 1
    assert _items(report) == {
        "b.txt": ("failed", "cannot be read: Permission denied"),
        "c.txt": ("failed", "cannot be read: Input/output error"),
        "new.txt": ("failed", "cannot be read: Permission denied"),
    }
    assert set(local_rig.target.files()) == {"a.txt", "b.txt", "c.txt", "d.txt"}
    assert set(local_rig.index()) == {"a.txt", "b.txt", "c.txt", "d.txt"}
    assert local_rig.target.versions() == {}
    # Readable again: the new file goes, nothing else moves.
    report = _report(local_rig.run())
    assert report.exit_code == 0 and _items(report) == {"new.txt": ("done", "")}


def test_a_file_that_vanished_while_it_was_looked_at_is_a_deletion(
    local_rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_files(local_rig.source, {"a.txt": "a", "b.txt": "b", "c.txt": "c"})
    local_rig.run()
    # Listed, then gone before its stat.
    errors = {f"{local_rig.source}/b.txt": FileNotFoundError(2, "No such file or directory")}
    with unreadable(monkeypatch, errors, {}):
        report = _report(local_rig.run())
    assert report.exit_code == 0 and _items(report) == {"b.txt": ("done", "")}
    assert report.items[0].action == "delete" and "b.txt" in local_rig.target.versions()


def test_a_folder_that_cannot_be_read_keeps_everything_below_it(
    local_rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_files(local_rig.source, FILES)
    local_rig.run(include_hidden=True)
    (local_rig.source / "e.txt").unlink()
    folder = str(local_rig.source / "locked")
    with unreadable(monkeypatch, {}, {folder: PermissionError(13, "Permission denied")}):
        report = _report(local_rig.run(include_hidden=True))
    assert report.exit_code == 1
    assert _items(report) == {
        "locked": ("failed", "folder cannot be read: Permission denied"),
        "e.txt": ("done", ""),  # a real deletion still happens
    }
    assert any("cannot read" in w and "locked" in w for w in report.warnings)
    assert {"locked/f.txt", "locked/deep/g.txt"} <= set(local_rig.target.files())
    assert {"locked/f.txt", "locked/deep/g.txt"} <= set(local_rig.index())
    assert set(local_rig.target.versions()) == {"e.txt"}


def test_an_unreadable_source_folder_deletes_nothing(local_rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(local_rig.source, {"a.txt": "a", "b.txt": "b"})
    local_rig.run()
    with unreadable(monkeypatch, {}, {str(local_rig.source): OSError(5, "Input/output error")}):
        report = _report(local_rig.run(max_delete_percent=100))
    assert report.exit_code == 1
    assert _items(report) == {".": ("failed", "folder cannot be read: Input/output error")}
    assert set(local_rig.target.files()) == set(local_rig.index()) == {"a.txt", "b.txt"}


def _permissions_bite(folder: Path) -> bool:
    """False where a folder without permissions can still be listed (root, CAP_DAC_OVERRIDE)."""
    probe = folder / "probe"
    probe.mkdir()
    probe.chmod(0o000)
    try:
        os.listdir(probe)
    except PermissionError:
        return True
    finally:
        probe.chmod(0o755)
        probe.rmdir()
    return False


def test_real_permissions_unreadable_folder_and_unlistable_entries(local_rig: Rig, tmp_path: Path) -> None:
    if not _permissions_bite(tmp_path):
        pytest.skip("this user reads through any permission (root); the patched tests above stand in")
    write_files(local_rig.source, {"a.txt": "a", "shut/b.txt": "b", "half/c.txt": "c", "d.txt": "d"})
    local_rig.run()
    shut, half = local_rig.source / "shut", local_rig.source / "half"
    shut.chmod(0o000)  # cannot be listed
    half.chmod(0o444)  # listed, but its entries cannot be looked at
    try:
        report = _report(local_rig.run(max_delete_percent=100))
    finally:
        shut.chmod(0o755)
        half.chmod(0o755)
    assert report.exit_code == 1
    assert {p: s for p, (s, _) in _items(report).items()} == {"shut": "failed", "half/c.txt": "failed"}
    assert set(local_rig.target.files()) == {"a.txt", "shut/b.txt", "half/c.txt", "d.txt"}
    assert local_rig.target.versions() == {}


# --- what a filter leaves out -----------------------------------------------------------------------

LEFT_OUT = {"x.tmp", "build/out.o", ".hidden"}
FILTERS: dict[str, Any] = {"exclude": ["*.tmp", "build/"], "include_hidden": False}


def test_what_a_filter_now_leaves_out_stays_on_the_remote(local_rig: Rig) -> None:
    write_files(local_rig.source, FILES)
    assert local_rig.run(include_hidden=True).exit_code == 0
    before, indexed = local_rig.target.files(), local_rig.index()
    assert set(before) >= LEFT_OUT
    for _ in range(2):  # never planned as a deletion, this run or the next
        dry = local_rig.run(dry_run=True, **FILTERS)
        assert dry.plan is not None and dry.plan.actions == ()
        assert dry.plan.extra["kept_excluded"] == len(LEFT_OUT)
        report = _report(local_rig.run(**FILTERS))
        assert report.exit_code == 0 and report.items == []
        assert local_rig.target.files() == before and local_rig.target.versions() == {}
        assert local_rig.index() == indexed  # the rows stay: the remote still holds those files
    # Gone from the source while excluded: still not Rearguard's to touch.
    (local_rig.source / "x.tmp").unlink()
    write_files(local_rig.source, {"build/out.o": "object, rebuilt"}, mtime=T0 + 60)
    report = _report(local_rig.run(**FILTERS))
    assert report.exit_code == 0 and report.items == [] and local_rig.target.files() == before
    # The filter lifted: the unchanged file is known, the changed one goes, the gone one is deleted.
    report = _report(local_rig.run(include_hidden=True))
    assert _items(report) == {"build/out.o": ("done", ""), "x.tmp": ("done", "")}
    assert [i.action for i in report.items] == ["upload", "delete"]
    assert local_rig.target.files()["build/out.o"] == b"object, rebuilt"
    assert set(local_rig.target.versions()) == {"build/out.o", "x.tmp"}


def test_delete_excluded_moves_what_a_filter_leaves_out_to_versions(local_rig: Rig) -> None:
    write_files(local_rig.source, FILES)
    assert local_rig.run(include_hidden=True).exit_code == 0
    before = local_rig.target.files()
    # Like any deletion, within max_delete_percent (3 of 10 files here).
    refused = local_rig.run(delete_excluded=True, max_delete_percent=20, **FILTERS)
    assert refused.exit_code == 3 and "max_delete_percent" in (_report(refused).reason or "")
    assert local_rig.target.files() == before and len(local_rig.index()) == len(FILES)
    dry = local_rig.run(dry_run=True, delete_excluded=True, **FILTERS)
    assert dry.plan is not None
    assert {(a.kind.value, a.path, dict(a.detail)["reason"]) for a in dry.plan.actions} == {
        ("delete", path, "excluded") for path in LEFT_OUT
    }
    report = _report(local_rig.run(delete_excluded=True, **FILTERS))
    assert report.exit_code == 0
    assert _items(report, "delete") == {path: ("done", "") for path in LEFT_OUT}
    assert set(local_rig.target.files()) == set(FILES) - LEFT_OUT
    assert local_rig.target.versions() == {p: before[p] for p in LEFT_OUT}
    assert set(local_rig.index()) == set(FILES) - LEFT_OUT
    assert _report(local_rig.run(delete_excluded=True, **FILTERS)).items == []
