"""The rclone kind's pure parts: command lines, the JSON log, secrets, planning, the delete guard."""

from __future__ import annotations

import json
import logging
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.context import RunContext
from engine.core.errors import ToolUnavailable
from engine.core.events import Event, ItemFinished
from engine.core.plan import Action, ActionKind, Plan
from engine.core.report import ItemResult
from engine.files.pacing import PauseSwitch
from engine.files.pathsafety import split_relative
from engine.jobs.rclone import command, credentials, json_log, look, planner, preflight
from engine.jobs.rclone.deletes import delete_guard
from engine.jobs.rclone.diff import diff_rows
from engine.jobs.rclone.index import RetryEntry
from engine.jobs.rclone.scan import Scan, excluder, scan_rules, scan_tree
from engine.jobs.rclone.tally import Watcher
from engine.tools.bundled import RCLONE_EXE
from engine.tools.process import ProcessResult

# Lines as rclone v1.75 writes them (captured from real runs against a loopback sftp remote).
COPIED = (
    '{"time":"2026-11-26T22:56:35.825969523Z","level":"info","msg":"Copied (new)","size":6,'
    '"object":"docs/two.txt","objectType":"*local.Object","source":"operations/copy.go:382"}'
)
PARTIAL_FAILED = (
    '{"time":"2026-11-26T22:59:32.928774564Z","level":"error","msg":"partial file rename '
    'failed: Move Rename failed","object":"two.txt.ac58328e.partial",'
    '"objectType":"*sftp.Object","source":"operations/copy.go:369"}'
)
DIR_TIME = (
    '{"time":"2026-11-26T22:56:35.826338243Z","level":"info","msg":"Set directory modification '
    'time (using DirSetModTime)","object":"a","objectType":"string","source":"x"}'
)
STATS = (
    '{"time":"2026-11-26T22:59:33Z","level":"notice","msg":"\\nTransferred: ...","stats":'
    '{"bytes":8454144,"errors":1,"eta":3,"lastError":"boom","speed":8453105.1,'
    '"totalBytes":20000000,"transferring":[{"bytes":8454144,"name":"big.bin","size":20000000}]},'
    '"source":"accounting/stats.go:549"}'
)
CRITICAL = (
    '{"time":"2026-11-26T22:58:31Z","level":"critical","msg":"Failed to create file system for '
    '\\"SF:dest\\": NewFs: couldn\'t connect SSH: connection refused","source":"cmd/cmd.go:102"}'
)


def test_upload_command_is_one_batched_copy_with_json_log() -> None:
    argv = command.upload_argv(
        "rclone",
        "/src",
        "SF:backup",
        "/tmp/list",
        versions_dir="SF:backup/.v",
        transfers=8,
        config="/c/rclone.conf",
    )
    assert argv[:4] == ["rclone", "copy", "--files-from-raw", "/tmp/list"]
    assert argv[-3:] == ["--", "/src", "SF:backup"]
    for flag in ("--no-traverse", "--ignore-times", "--use-json-log", "-v", "--ask-password=false"):
        assert flag in argv
    pairs = {argv[i]: argv[i + 1] for i in range(len(argv) - 1)}
    assert pairs["--stats"] == "1s" and pairs["--stats-log-level"] == "NOTICE"
    assert pairs["--retries"] == "1" and pairs["--transfers"] == "8"
    assert pairs["--backup-dir"] == "SF:backup/.v" and pairs["--config"] == "/c/rclone.conf"


def test_first_run_lets_rclone_list_the_remote_and_adopt_what_is_there() -> None:
    argv = command.upload_argv("rclone", "/s", "r:", "/l", versions_dir=None, traverse=True, adopt=True)
    assert "--no-traverse" not in argv and "--ignore-times" not in argv and "--backup-dir" not in argv
    assert "--config" not in argv


def test_positionals_from_a_profile_can_never_be_flags() -> None:
    argv = command.delete_argv("rclone", "-evil", "/l", versions_dir="-evil/.rearguard/versions/x")
    assert argv[argv.index("--") + 1 :] == ["-evil", "-evil/.rearguard/versions/x"]
    assert argv[1] == "move" and "--no-traverse" in argv
    plain = command.delete_argv("rclone", "r:x", "/l", versions_dir=None)
    assert plain[1] == "delete" and plain[-2:] == ["--", "r:x"]
    assert command.stat_argv("rclone", "-x")[-2:] == ["--", "-x"]


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("sf:", "sf:.rearguard/versions/S"),
        ("sf:/", "sf:/.rearguard/versions/S"),
        ("sf:bucket/dir", "sf:bucket/dir/.rearguard/versions/S"),
        ("/mnt/backup/", "/mnt/backup/.rearguard/versions/S"),
    ],
)
def test_versions_folder_sits_at_the_remote_root(remote: str, expected: str) -> None:
    assert command.versions_dir(remote, "S") == expected


@pytest.mark.parametrize(
    ("remote", "platform", "local"),
    [
        ("/mnt/x", "linux", "/mnt/x"),
        ("rel/dir", "linux", "rel/dir"),
        ("./a:b", "linux", "./a:b"),
        ("sf:x", "linux", None),
        (":sftp,host=h:x", "linux", None),
        (":local:/m", "linux", "/m"),
        ("C:\\backup", "win32", "C:\\backup"),
        ("C:\\backup", "linux", None),
        ("s3:b/c", "win32", None),
    ],
)
def test_local_path_of_a_remote(remote: str, platform: str, local: str | None) -> None:
    assert command.local_path_of(remote, platform) == local


def test_json_log_lines_become_records() -> None:
    assert json_log.parse_line(COPIED) == json_log.Copied("docs/two.txt", 6)
    failed = json_log.parse_line(PARTIAL_FAILED)
    assert isinstance(failed, json_log.Failed) and failed.path == "two.txt"
    assert json_log.parse_line(DIR_TIME) == json_log.Message("info", DIR_TIME_MSG, "a")
    stats = json_log.parse_line(STATS)
    assert isinstance(stats, json_log.Stats)
    assert (stats.bytes_done, stats.total_bytes, stats.eta_seconds, stats.errors) == (8454144, 20000000, 3, 1)
    assert stats.transferring == (json_log.Transferring("big.bin", 8454144, 20000000),)
    critical = json_log.parse_line(CRITICAL)
    assert isinstance(critical, json_log.Message) and critical.is_error and critical.level == "critical"
    assert json_log.parse_line("  ") is None
    plain = json_log.parse_line("2026/11/26 22:56:41 ERROR : something")
    assert isinstance(plain, json_log.Message) and plain.is_error
    assert json_log.parse_line(
        '{"level":"info","msg":"Moved (server-side)","object":"x","objectType":"*sftp.Object"}'
    ) == json_log.Removed("x", "moved")


DIR_TIME_MSG = "Set directory modification time (using DirSetModTime)"


@given(st.text(min_size=1).filter(lambda s: "\n" not in s and "\r" not in s))
def test_json_log_never_raises(text: str) -> None:
    json_log.parse_line(text)
    json_log.parse_line(json.dumps({"level": "error", "object": text, "objectType": "*x.Object"}))


def test_secrets_are_found_in_remote_env_and_config(tmp_path: Path) -> None:
    conf = tmp_path / "rclone.conf"
    conf.write_text(
        "[s3]\ntype = s3\naccess_key_id = AKIAEXAMPLE\nsecret_access_key = s3cr3tKey\n"
        '[drive]\ntype = drive\ntoken = {"access_token":"ya29.tok","expiry":"x"}\n'
        "[sf]\ntype = sftp\npass = obscuredPW\nuser = bob\n"
    )
    env = {"RCLONE_CONFIG_X_PASS": "envPW123", "RCLONE_CONFIG_X_USER": "alice", "HOME": "/nowhere"}
    found = credentials.collect(":sftp,host=h,pass=inlinePW:dir", str(conf), env)
    for secret in ("s3cr3tKey", "AKIAEXAMPLE", "ya29.tok", "obscuredPW", "envPW123", "inlinePW"):
        assert secret in found
    assert "bob" not in found and "alice" not in found and "sftp" not in found


def test_default_config_is_read_for_secrets(tmp_path: Path) -> None:
    conf = tmp_path / "own.conf"
    conf.write_text("[x]\npass = defaultPW\n")
    assert credentials.collect("x:", "", {"RCLONE_CONFIG": str(conf)}) == ["defaultPW"]


def test_delete_guard() -> None:
    assert delete_guard(0, 0, 0, 50) is None
    assert delete_guard(5, 10, 5, 50) is None
    assert "6 of 10" in (delete_guard(6, 10, 4, 50) or "")
    assert "source is empty" in (delete_guard(1, 1, 0, 100) or "")


def test_find_rclone_prefers_profile_then_frozen_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "mine" / "rclone"
    mine.parent.mkdir()
    mine.write_text("")
    assert preflight.find_rclone(str(mine)) == str(mine)
    with pytest.raises(ToolUnavailable, match="not a file"):
        preflight.find_rclone(str(tmp_path / "nope"))
    frozen = tmp_path / "frozen"
    frozen.mkdir()
    (frozen / RCLONE_EXE).write_text("")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(frozen), raising=False)
    assert preflight.find_rclone() == str(frozen / RCLONE_EXE)


# --- planning -------------------------------------------------------------------------------------

paths = st.lists(st.text("ab/.é ", min_size=1, max_size=8), max_size=12).map(
    lambda items: sorted({"/".join(split_relative(p)) for p in items if _ok(p)})
)


def _ok(raw: str) -> bool:
    try:
        split_relative(raw)
    except ValueError:
        return False
    return True


def compare(
    scan: Scan, index: dict[str, tuple[int, int]], retries: dict[str, RetryEntry], **options: bool
) -> Plan:
    """The planner's decision from the scan set against ``index`` as the state DB would stream it."""
    rows = [(path, size, mtime) for path, (size, mtime) in sorted(index.items())]
    return planner.compare(scan, diff_rows(dict(scan.files), rows, retries), retries, **options)


files_strategy = paths.flatmap(
    lambda ps: st.fixed_dictionaries({p: st.tuples(st.integers(0, 3), st.integers(0, 3)) for p in ps})
)


@settings(max_examples=200, deadline=None)
@given(files_strategy, files_strategy, st.sets(st.sampled_from(["a", "b", "a/b", "x"])))
def test_applying_a_plan_leaves_nothing_to_do(
    source: dict[str, tuple[int, int]], indexed: dict[str, tuple[int, int]], failed_before: set[str]
) -> None:
    retries = {p: RetryEntry(p, "err", 1, "t", "t") for p in failed_before}
    plan = compare(Scan(files=dict(source)), indexed, retries)
    after = dict(indexed)
    for action in plan.actions:
        assert not action.path.startswith("/") and ".." not in action.path.split("/")
        if action.kind is ActionKind.UPLOAD:
            after[action.path] = (action.bytes, action.mtime_ns or 0)
            assert action.path in source
        else:
            assert action.path not in source
            del after[action.path]
    assert after == source
    assert compare(Scan(files=dict(source)), after, {}).actions == ()
    dropped = {n.path for n in plan.notes}
    assert dropped == failed_before - set(source)


def test_unreadable_folders_protect_their_indexed_files() -> None:
    scan = Scan(files={"a": (1, 1)}, unreadable=["locked"], failed={"locked": "cannot read", "f": "EIO"})
    index = {"a": (1, 1), "locked/b": (1, 1), "locked/c/d": (1, 1), "lockedx": (1, 1), "f": (1, 1)}
    plan = compare(scan, index, {})
    assert [(a.kind, a.path) for a in plan.actions] == [(ActionKind.DELETE, "lockedx")]
    notes = {(n.path, dict(n.detail).get("failed")) for n in plan.notes}
    assert notes == {("locked", "cannot read"), ("f", "EIO")}
    everything = compare(Scan(failed={".": "cannot read"}), index, {})
    assert everything.actions == () and everything.extra == {}


def test_excluded_files_are_kept_unless_delete_excluded(tmp_path: Path) -> None:
    names = ["a.txt", "x.tmp", "build/o", "sub/build/o", "builder/o", ".h", "sub/.git/c", "sub/k.txt"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    scan = scan_tree(str(tmp_path), scan_rules(False, ["*.tmp", "build/"]), None)
    left_out = excluder(scan.rules)
    assert {n for n in names if not left_out(n)} == set(scan.files) == {"a.txt", "builder/o", "sub/k.txt"}
    index = {n: (1, 1) for n in names}
    kept = compare(scan, index, {"x.tmp": RetryEntry("x.tmp", "e", 1, "t", "t")})
    assert [a.kind for a in kept.actions] == [ActionKind.UPLOAD] * 3 and kept.extra == {"kept_excluded": 5}
    assert [(n.path, dict(n.detail).get("dropped_from_retry_queue")) for n in kept.notes] == [("x.tmp", True)]
    deleted = compare(scan, index, {}, delete_excluded=True)
    assert {a.path: dict(a.detail)["reason"] for a in deleted.actions if a.kind is ActionKind.DELETE} == {
        n: "excluded" for n in names if left_out(n)
    }


def _watcher(paths: list[str], events: list[Event]) -> Watcher:
    ctx = SimpleNamespace(
        reporter=events.append,
        secrets=["hunter22"],
        log=logging.getLogger("test"),
        pause=PauseSwitch(),
        window_closed=threading.Event(),
    )
    actions = [Action(ActionKind.UPLOAD, p, bytes=10) for p in paths]
    return Watcher(cast(RunContext, ctx), actions)


def test_watcher_turns_log_records_into_events_and_results() -> None:
    events: list[Event] = []
    watcher = _watcher(["a", "b", "c", "d"], events)
    for line in (
        STATS.replace("big.bin", "a"),
        COPIED.replace("docs/two.txt", "a"),
        PARTIAL_FAILED.replace("two.txt", "b").replace("Move Rename failed", "pw hunter22 bad"),
        '{"level":"error","msg":"Attempt 1/1 failed with 1 errors","source":"x"}',
    ):
        record = json_log.parse_line(line)
        assert record is not None
        watcher(record)
    assert [type(e).__name__ for e in events] == [
        "TransferStats",
        "ItemStarted",
        "ItemProgress",
        "ItemFinished",
    ]
    failed_run = ProcessResult(argv=[], returncode=1)
    assert watcher.silent(failed_run) == []  # a failed command: nothing to look up, all failed
    results = {r.path: r for r in watcher.results(failed_run, {})}
    assert results["a"].status == "done" and results["a"].bytes == 10
    assert results["b"].status == "failed" and "hunter22" not in results["b"].message
    assert results["c"].status == "failed" and "exit 1" in results["c"].message
    assert "Attempt 1/1 failed" in results["c"].message
    assert [(e.path, e.status) for e in events if isinstance(e, ItemFinished)][-3:] == [
        ("b", "failed"),
        ("c", "failed"),
        ("d", "failed"),
    ]


def test_watcher_after_clean_exit_and_after_cancel() -> None:
    watcher = _watcher(["a", "b", "c"], [])
    record = json_log.parse_line(COPIED.replace("docs/two.txt", "a"))
    assert record is not None
    watcher(record)
    clean = ProcessResult(argv=[], returncode=0)
    assert [a.path for a in watcher.silent(clean)] == ["b", "c"]
    looked = {"b": ItemResult("b", "upload", "done", "confirmed by a look at the remote", 10)}
    results = {r.path: r for r in watcher.results(clean, looked)}
    assert [results[p].status for p in "abc"] == ["done", "done", "failed"]  # silence is not success
    assert results["c"].message == "rclone did not confirm this file; it will be sent again next run"
    cancelled = ProcessResult(argv=[], returncode=-15, cancelled=True)
    assert _watcher(["a"], []).silent(cancelled) == []
    assert {r.status for r in _watcher(["a"], []).results(cancelled, {})} == {"skipped"}


def test_look_command_and_its_answers() -> None:
    argv = command.look_argv("rclone", "-r", "/l", config="/c")
    assert argv[:2] == ["rclone", "lsjson"] and argv[-2:] == ["--", "-r"]
    for flag in ("--files-only", "--recursive", "--no-traverse", "--files-from-raw", "--config"):
        assert flag in argv
    assert "--no-traverse" not in command.look_argv("rclone", "r:", "/l", traverse=True)
    assert command.features_argv("rclone", "-r")[1:3] == ["backend", "features"]
    assert look.parse_time("2023-11-14T22:13:20Z") == (1_700_000_000 * 10**9, 0)
    assert look.parse_time("2023-11-14T23:13:20.123+01:00") == (1_700_000_000_123_000_000, 3)
    assert look.parse_time("2023-11-14T22:13:20.000000001Z") == (1_700_000_000_000_000_001, 9)
    assert look.parse_time("yesterday") is None and look.parse_time("") is None
    listing = look.parse_listing(
        '[\n{"Path":"a/b.txt","Name":"b.txt","Size":5,"ModTime":"2023-11-14T22:13:20Z","IsDir":false},\n'
        '{"Path":"d","Size":-1,"IsDir":true},{"Path":"u","Size":-1,"ModTime":"x","IsDir":false}\n]'
    )
    assert listing == {"a/b.txt": look.Seen(5, 1_700_000_000 * 10**9, 0)}
    with pytest.raises(ValueError):
        look.parse_listing('{"Path": "x"}')
    assert look.parse_precision('{"Name": "sf", "Precision": 1000000000}') == 10**9
    assert look.parse_precision("not json") is None


T_NS = 1_700_000_000_123_456_789


@pytest.mark.parametrize(
    ("precision", "seen", "problem"),
    [
        (1, look.Seen(5, T_NS, 9), None),
        (1, look.Seen(5, T_NS + 1, 9), "another modification time"),
        (10**9, look.Seen(5, T_NS - 999_999_999, 0), None),  # sftp keeps whole seconds
        (10**9, look.Seen(5, T_NS - 10**9, 0), "another modification time"),
        (100 * 365 * 24 * 3600 * 10**9, look.Seen(5, 42, 0), None),  # no times kept: the size has to do
        (None, look.Seen(5, T_NS - 999_999, 3), None),  # precision unknown: the listed digits tell
        (None, look.Seen(5, T_NS - 1_000_000, 3), "another modification time"),
        (1, look.Seen(4, T_NS, 9), "4 bytes of it, not 5"),
        (1, None, "not on the remote"),
    ],
)
def test_an_upload_is_confirmed_by_size_and_time_to_the_remotes_precision(
    precision: int | None, seen: look.Seen | None, problem: str | None
) -> None:
    remote = look.Remote({"dir/é.txt": seen} if seen else {}, precision)
    action = Action(ActionKind.UPLOAD, "dir/é.txt", bytes=5, mtime_ns=T_NS)
    answer = look.upload_problem(action, remote)
    assert answer is None if problem is None else problem in (answer or "")
    decomposed = Action(ActionKind.UPLOAD, "dir/e\u0301.txt", bytes=5, mtime_ns=T_NS)
    assert look.upload_problem(decomposed, remote) == answer  # another Unicode form of the same name


@pytest.mark.skipif(sys.platform == "win32", reason="the fake rclone is a POSIX shell script")
def test_rclone_version_is_cached_by_the_binary_and_asked_again_when_it_changes(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    fake = tmp_path / "rclone"
    fake.write_text(f'#!/bin/sh\necho x >> "{calls}"\necho "rclone v1.75.2"\n')
    fake.chmod(0o755)
    data = tmp_path / "data"
    data.mkdir()
    assert preflight.check_version(str(fake), data) == "v1.75.2"
    assert preflight.check_version(str(fake), data) == "v1.75.2"
    assert calls.read_text().count("x") == 1  # the second run did not start rclone
    assert preflight.check_version(str(fake)) == "v1.75.2"  # no cache folder: always asked
    assert calls.read_text().count("x") == 2
    fake.write_text(f'#!/bin/sh\necho x >> "{calls}"\necho "rclone v1.76.0-beta"\n')  # an update
    assert preflight.check_version(str(fake), data) == "v1.76.0-beta"
    fake.write_text('#!/bin/sh\necho "broken" >&2\nexit 2\n')  # broken in place: never trusted from the cache
    with pytest.raises(ToolUnavailable, match="does not work"):
        preflight.check_version(str(fake), data)
    (data / preflight.VERSION_CACHE).write_text("not json")
    fake.write_text(f'#!/bin/sh\necho x >> "{calls}"\necho "rclone v1.75.2"\n')
    assert preflight.check_version(str(fake), data) == "v1.75.2"  # a damaged cache is only a miss
