"""Reading an rclone remote back: damage is found by one ``rclone check``, and repair makes it whole.

Against real rclone: a local-folder remote, the loopback sftp server (which answers md5sum, so
hashes are compared there too), and a remote that keeps no hash at all (a chunker over a local
folder with ``hash_type=none``: the files lie there as they are, and rclone must download them).
The damage is what a run cannot see: size and modification time are kept.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.core.events import Event, PhaseChanged
from engine.core.folders import app_folders
from engine.core.readback import SLICES, slice_of
from engine.core.report import RunReport
from engine.core.runner import RunOutcome, run_profile, verify_profile
from engine.jobs.rclone import command
from engine.jobs.rclone.check_run import checkers_for, parse_combined
from engine.jobs.rclone.readback import MISSING, REPAIRED, differs_message
from tests.engine.rclone.conftest import T0, Rig, Target, write_files
from tests.engine.rclone.test_rclone_cli import Cli, _profile_text
from tests.fakes.rclone_server import SftpServer, free_port, serve_sftp

FILES: dict[str, str | bytes] = {
    "a.txt": "alpha " * 50,
    "docs/b.txt": "beta " * 40,
    "docs/deep/c.dwg": bytes(range(256)) * 12,
    "Zürich Süd/ü.txt": "umlaut " * 30,
    "with space.txt": "space " * 20,
}
DAMAGED = {"a.txt", "docs/b.txt", "docs/deep/c.dwg"}


def _report(outcome: RunOutcome) -> RunReport:
    assert outcome.report is not None, outcome
    return outcome.report


def _verify(rig: Rig, **options: bool) -> RunReport:
    return _report(verify_profile(rig.profile(), rig.folders, **options))


def _flip(path: Path, at: int = 7) -> None:
    """Bit rot: one byte changed, size and modification time kept."""
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[at] ^= 0x40
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def _truncate(path: Path) -> None:
    st = path.stat()
    path.write_bytes(path.read_bytes()[: st.st_size // 2])
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def _damage(root: Path) -> None:
    _flip(root / "a.txt")
    _truncate(root / "docs" / "b.txt")
    (root / "docs" / "deep" / "c.dwg").unlink()


def _source_tree() -> dict[str, bytes]:
    return {k: v.encode() if isinstance(v, str) else v for k, v in FILES.items()}


class Served:
    """A loopback sftp server of the test's own, started afresh after the damage.

    ``rclone serve`` remembers the listings and hashes of what it served (an OpenSSH server
    does not), so a byte flipped behind its back is seen only by a new server process.
    """

    def __init__(self, root: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root, self.name, self.monkeypatch = root, name, monkeypatch
        self.password = "pw-" + secrets.token_urlsafe(12)
        self.stack = ExitStack()
        self.server = self.start()

    def start(self) -> SftpServer:
        self.server = self.stack.enter_context(serve_sftp(self.root, password=self.password))
        for key, value in self.server.env(self.name).items():
            self.monkeypatch.setenv(key, value)
        return self.server

    def stop(self) -> None:
        self.stack.close()

    def restart(self) -> None:
        self.stop()
        self.start()


@dataclass
class ReadRig(Rig):
    refresh: Callable[[], None] = lambda: None  # after damage: what the remote serves is seen anew


@pytest.fixture(params=["local", "sftp", "nohash"])
def any_rig(
    request: pytest.FixtureRequest,
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rclone_env: None,
) -> Iterator[ReadRig]:
    root = tmp_path / "remote"
    source = tmp_path / "src"
    source.mkdir()
    folders = app_folders().create()
    if request.param == "sftp":
        served = Served(tmp_path / "served", "SF", monkeypatch)
        target = Target("sftp", "SF:remote", served.root / "remote")
        try:
            yield ReadRig(folders, source, target, refresh=served.restart)
        finally:
            served.stop()
        return
    if request.param == "local":
        target = Target("local", str(root), root)
    else:
        target = Target("nohash", f":chunker,remote={root},hash_type=none:", root)
    yield ReadRig(folders, source, target)


def test_full_verify_names_exactly_the_damaged_files_and_repair_restores_them(any_rig: ReadRig) -> None:
    rig = any_rig
    write_files(rig.source, FILES)
    assert _report(rig.run()).exit_code == 0
    assert _verify(rig, full=True).exit_code == 0
    _damage(rig.target.root)
    rig.refresh()

    found = _verify(rig, full=True)
    assert found.exit_code == 1 and found.run_kind == "verify"
    failed = {i.path: i.message for i in found.items if i.status == "failed"}
    assert set(failed) == DAMAGED
    assert failed["docs/deep/c.dwg"] == MISSING
    assert failed["docs/b.txt"].startswith("differs: size")
    flipped = "differs: content" if rig.target.kind == "nohash" else "differs: md5 hash"
    assert failed["a.txt"].startswith(flipped), failed
    done = {i.path for i in found.items if i.status == "done" and i.action == "verify"}
    assert done == set(FILES) - DAMAGED
    assert "all 5 files read back today" in (found.readback or "")

    repaired = _verify(rig, full=True, repair=True)
    assert repaired.exit_code == 0, repaired.as_json()
    fixed = {i.path: i.message for i in repaired.items if i.action == "repair"}
    assert set(fixed) == DAMAGED
    assert fixed["a.txt"].endswith(REPAIRED) and fixed["docs/deep/c.dwg"] == f"{MISSING}; uploaded again"
    assert rig.target.files() == _source_tree()
    kept = rig.target.versions()
    assert set(kept) == {"a.txt", "docs/b.txt"}  # the damaged copies; the lost one had none
    assert kept["docs/b.txt"] == _source_tree()["docs/b.txt"][: len(kept["docs/b.txt"])]
    assert rig.index() == {p: ((rig.source / p).stat().st_size, T0 * 10**9) for p in FILES}
    assert rig.retries() == {}

    again = _verify(rig, full=True)
    assert again.exit_code == 0 and not again.failures
    assert _report(rig.run()).items == []  # the next run has nothing to upload


def test_files_changed_or_gone_since_their_upload_are_skipped_not_differences(local_rig: Rig) -> None:
    rig = local_rig
    write_files(rig.source, FILES)
    rig.run()
    write_files(rig.source, {"a.txt": "alpha, edited"}, mtime=T0 + 60)
    (rig.source / "docs" / "b.txt").unlink()
    (rig.target.root / "docs" / "b.txt").write_text("damaged, but its source is gone")
    report = _verify(rig, full=True)
    assert report.exit_code == 0, report.as_json()
    skipped = {i.path: i.message for i in report.items if i.status == "skipped"}
    assert skipped == {
        "a.txt": "not compared: changed since it was uploaded; the next run uploads it",
        "docs/b.txt": "not compared: no longer in the source; "
        "the next run moves the remote's copy to versions",
    }
    assert {i.path for i in report.items if i.status == "done"} == set(FILES) - {"a.txt", "docs/b.txt"}


def test_only_the_remote_has_it_is_no_difference(local_rig: Rig) -> None:
    rig = local_rig
    write_files(rig.source, FILES)
    rig.run()
    write_files(rig.target.root, {"put there by someone.txt": "x", "docs/old.txt": "y"})
    report = _verify(rig, full=True)
    assert report.exit_code == 0 and {i.path for i in report.items} == set(FILES)


def _names_in_slices(prefix: str, wanted: range, count: int) -> list[str]:
    names = (f"{prefix}{n}.txt" for n in range(100_000))
    return [name for name in names if slice_of(name) in wanted][:count]


def test_a_sample_verify_reads_only_the_sample(local_rig: Rig) -> None:
    rig = local_rig
    # The run reads slice 0 after itself; a verify by hand then reads a day's share: slices 1-24.
    inside = _names_in_slices("in", range(1, 25), 3)
    outside = _names_in_slices("out", range(40, SLICES), 6)
    write_files(rig.source, {name: f"content of {name}" for name in inside + outside})
    assert _report(rig.run()).exit_code == 0
    for name in inside + outside:
        _flip(rig.target.root / name, at=2)
    report = _verify(rig)
    assert report.exit_code == 1
    assert {i.path for i in report.items} == set(inside)
    assert {i.path for i in report.failures} == set(inside)
    assert "% of the files read back so far" in (report.readback or "")


def test_the_sample_after_a_run_reads_back_what_the_run_uploaded(any_rig: ReadRig) -> None:
    rig = any_rig
    start = datetime.now(UTC)

    def run_at(hours: float) -> RunReport:  # one slice's time is an hour of the 30-day cycle
        return _report(run_profile(rig.profile(), rig.folders, clock=lambda: start + timedelta(hours=hours)))

    write_files(rig.source, FILES)
    first = run_at(0)
    assert first.exit_code == 0
    assert (first.readback or "").startswith(f"read back {len(FILES)} file(s): no difference(s)")
    # Each run reads what it uploaded plus the slices the time since the last one earned: none
    # for a run minutes later, one per hour. The run an hour later reads slice 0, the next one
    # slice 1: a file there damaged on the remote is found by a run that uploads something else.
    minutes_later = run_at(0.1)
    assert minutes_later.exit_code == 0 and (minutes_later.readback or "").startswith("read back 0 file(s)")
    due = _names_in_slices("due", range(1, 2), 1)[0]
    write_files(rig.source, {due: "in the slice the third run reads"})
    second = run_at(1.1)
    assert second.exit_code == 0
    read = {due} | {p for p in FILES if slice_of(p) == 0}
    assert (second.readback or "").startswith(f"read back {len(read)} file(s): no difference(s)")
    _flip(rig.target.root / due, at=3)
    rig.refresh()
    write_files(rig.source, {"a.txt": "alpha, edited"}, mtime=T0 + 60)
    third = run_at(2.1)
    assert third.exit_code == 1
    read = {"a.txt", due} | {p for p in FILES if slice_of(p) == 1}
    assert (third.readback or "").startswith(f"read back {len(read)} file(s): 1 difference(s)")
    assert [(i.path, i.action, i.status) for i in third.items] == [
        ("a.txt", "upload", "done"),
        (due, "verify", "failed"),
    ]
    assert third.items[1].message.startswith("read back: differs: ")


def test_a_remote_that_is_gone_is_exit_5(any_rig: ReadRig) -> None:
    rig = any_rig
    write_files(rig.source, FILES)
    rig.run()
    for path in sorted(rig.target.root.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    rig.target.root.rmdir()
    rig.refresh()
    outcome = verify_profile(rig.profile(), rig.folders, full=True)
    assert outcome.exit_code == 5
    assert "is not there although files were uploaded" in (_report(outcome).reason or "")


def test_an_unreachable_server_is_exit_5_and_its_password_stays_hidden(
    local_rig: Rig, sftp_server: SftpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = local_rig
    for key, value in sftp_server.env("GONE").items():
        monkeypatch.setenv(key, value)
    rig.target = Target("sftp", f"GONE:{tmp_path.name}", sftp_server.root / tmp_path.name)
    write_files(rig.source, FILES)
    assert _report(rig.run()).exit_code == 0
    monkeypatch.setenv("RCLONE_CONFIG_GONE_PORT", str(free_port()))  # the server went away
    outcome = verify_profile(rig.profile(), rig.folders, full=True)
    shown = json.dumps(_report(outcome).as_json())
    assert outcome.exit_code == 5, shown
    assert "unreachable" in shown and sftp_server.obscured not in shown
    assert sftp_server.password not in shown


def test_a_cancelled_verify_stops_rclone_reads_nothing_and_exits_130(local_rig: Rig) -> None:
    rig = local_rig
    write_files(rig.source, FILES)
    rig.run()
    cancel = threading.Event()

    def reporter(event: Event) -> None:
        if isinstance(event, PhaseChanged) and event.phase == "read back":
            cancel.set()

    outcome = verify_profile(rig.profile(), rig.folders, full=True, cancel=cancel, reporter=reporter)
    assert outcome.exit_code == 130
    assert not [i for i in _report(outcome).items if i.status in ("done", "failed")]


def test_cli_verify_finds_damage_repairs_it_and_a_gone_server_is_exit_5(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rclone_env: None
) -> None:
    served = Served(tmp_path / "served", "UNUSED", monkeypatch)
    conf = tmp_path / "rclone.conf"  # the remote comes from the profile's rclone.conf here
    conf.write_text(served.server.config_text("offsite"), encoding="utf-8")
    cli = Cli(home)
    source, root = tmp_path / "src", served.root / "remote"
    write_files(source, FILES)
    cli.profile("off", _profile_text(source, "offsite:remote", conf))
    try:
        code, report = cli("run", "off", "--json")
        assert code == 0 and report["readback"].startswith("read back 5 file(s): no difference(s)")
        _damage(root)
        served.restart()
        conf.write_text(served.server.config_text("offsite"), encoding="utf-8")
        code, report = cli("verify", "off", "--full", "--json")
        assert code == 1 and report["run"] == "verify"
        assert sorted(i["path"] for i in report["items"] if i["status"] == "failed") == sorted(DAMAGED)
        code, report = cli("verify", "off", "--full", "--repair", "--json")
        assert code == 0, report
        assert {p: (root / p).read_bytes() for p in FILES} == _source_tree()
        assert cli("verify", "off", "--full")[0] == 0
    finally:
        served.stop()
    code, text = cli("verify", "off", "--full")  # the server is gone
    assert code == 5 and "unreachable" in text
    for secret in (served.password, served.server.obscured):
        assert secret not in "\n".join(cli.outputs)


# The pure parts, without rclone.


def test_the_combined_report_is_read_line_by_line() -> None:
    text = "= a.txt\n* b c.txt\n+ d/e.txt\n! f\n- only remote\n\nnoise\n"
    assert parse_combined(text) == {
        "a.txt": "=",
        "b c.txt": "*",
        "d/e.txt": "+",
        "f": "!",
        "only remote": "-",
    }


def test_differences_in_words() -> None:
    assert differs_message("sizes differ").startswith("differs: size")
    assert differs_message("md5 differ") == "differs: md5 hash (same size)"
    assert differs_message("contents differ").startswith("differs: content")


def test_few_files_few_connections() -> None:
    assert [checkers_for(n) for n in (1, 30, 51, 300, 20_000)] == [1, 1, 2, 6, 8]


def test_check_argv_lists_flags_before_the_positional_arguments() -> None:
    argv = command.check_argv("rclone", "/src", "-odd:remote", "l.txt", "c.txt", download=True, checkers=2)
    assert argv[:8] == [
        "rclone",
        "check",
        "--one-way",
        "--files-from-raw",
        "l.txt",
        "--combined",
        "c.txt",
        "--download",
    ]
    assert argv[-3:] == ["--", "/src", "-odd:remote"]
    assert "--download" not in command.check_argv("rclone", "/s", "r:", "l", "c", download=False)
