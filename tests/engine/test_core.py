"""State, locks, logs, durations, secrets and safe paths: the shared parts every job kind uses."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psutil
import pytest

from engine.core.durations import parse_duration
from engine.core.errors import RunLocked
from engine.core.lock import ProfileLock
from engine.core.logs import attach_daily_log, prune_logs
from engine.core.report import RunReport
from engine.core.state import StateDB
from engine.files.atomic import atomic_write_text, is_temp_name, temp_path_for
from engine.files.pathsafety import (
    UnsafePath,
    join_inside,
    split_relative,
    windows_long_path,
    windows_name_problem,
)
from engine.tools.process import (
    console_encoding,
    decode_console,
    is_interrupted_exit,
    launch_process,
    run_process,
)
from engine.tools.redact import redact, redact_argv


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30m", 1800), ("4h", 14400), ("1d", 86400), ("0.5", 1800), ("90s", 90), (" 2H ", 7200)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "4 hours", "-1h", "h", "1e9d", "nan"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_state_db_records_runs_and_survives_reopen(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "state.db")
    report = RunReport("p", "mirror", datetime.now(UTC))
    run_id = db.start_run(report)
    report.finished = datetime.now(UTC)
    db.finish_run(run_id, report)
    db.close()
    again = StateDB(tmp_path / "state.db")
    assert [(r.profile, r.status) for r in again.runs("p")] == [("p", "ok")]
    assert again.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_corrupt_state_db_is_moved_aside_not_emptied(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    notices: list[str] = []
    db = StateDB(path, notices=notices)
    assert db.runs() == []
    aside = list(tmp_path.glob("state.db.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not sqlite")
    assert "moved to" in notices[0]


def test_interrupted_runs_are_marked(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "state.db")
    db.start_run(RunReport("p", "mirror", datetime.now(UTC)))
    assert db.mark_interrupted_runs("p") == 1
    assert db.runs("p")[0].status == "interrupted"


def test_lock_names_its_holder_and_frees_on_death(tmp_path: Path) -> None:
    code = (
        f"import sys, time; sys.path.insert(0, {os.getcwd()!r}); from engine.core.lock import ProfileLock;"
        f"l = ProfileLock(__import__('pathlib').Path({str(tmp_path)!r}), 'p', 'rearguard run p');"
        "l.acquire();"
        "print('held', flush=True); time.sleep(30)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(
            RunLocked, match=rf"already running: held by process {holder.pid} .*rearguard run p"
        ):
            ProfileLock(tmp_path, "p").acquire()
    finally:
        holder.kill()
        holder.wait()
    with ProfileLock(tmp_path, "p"):  # the OS released it when the holder died
        pass


def test_daily_log_file_and_pruning(tmp_path: Path) -> None:
    with attach_daily_log(tmp_path, secrets=["hunter2"]):
        logging.getLogger("rearguard.test").warning("password is hunter2 and token=abc123")
    files = list(tmp_path.glob("LOG-*.txt"))
    assert [f.name for f in files] == [f"LOG-{date.today().isoformat()}.txt"]
    text = files[0].read_text()
    assert "hunter2" not in text and "abc123" not in text and "password is ***" in text
    old = tmp_path / f"LOG-{(date.today() - timedelta(days=91)).isoformat()}.txt"
    old.write_text("old")
    assert prune_logs(tmp_path, keep_days=90) == 1 and not old.exists() and files[0].exists()


def test_redaction_of_command_lines_and_text() -> None:
    argv = ["rclone", "--sftp-pass", "s3cret", "--token=abc", "copy", "https://u:pw@host/x"]
    assert redact_argv(argv) == [
        "rclone",
        "--sftp-pass",
        "***",
        "--token=***",
        "copy",
        "https://u:***@host/x",
    ]
    assert redact("RCLONE_CONFIG_SF_PASS=xyz ok") == "RCLONE_CONFIG_SF_PASS=*** ok"
    assert redact('{"token": "t0k"}') == '{"token": "***"}'


@pytest.mark.parametrize(
    "raw",
    [
        "..\\..\\Windows\\evil.rvt",
        "C:\\Temp\\abs.rvt",
        "/etc/passwd",
        "\\\\server\\share\\x",
        "a/../../b",
        "",
        "a\x00b",
        "c:x",
    ],
)
def test_unsafe_relative_paths_are_refused(raw: str) -> None:
    with pytest.raises(UnsafePath):
        split_relative(raw)


def test_safe_relative_paths_stay_inside(tmp_path: Path) -> None:
    assert split_relative("Office\\Tower A\\./m.rvt") == ["Office", "Tower A", "m.rvt"]
    assert join_inside(tmp_path, "a/b") == tmp_path / "a" / "b"


def test_windows_names_and_long_paths() -> None:
    assert windows_name_problem("CON.txt") == "'CON' is a reserved name on Windows"
    assert windows_name_problem("name. ") == "ends with a dot or space"
    assert windows_name_problem("fine.rvt") is None
    long_local = "C:\\" + "x" * 300
    assert windows_long_path(long_local) == "\\\\?\\" + long_local
    assert windows_long_path("\\\\nas\\share\\" + "y" * 300).startswith("\\\\?\\UNC\\nas\\share\\")
    assert windows_long_path("C:\\short") == "C:\\short"


def test_windows_process_helpers_are_pure() -> None:
    assert console_encoding("win32", oem_codepage=850) == "cp850"
    assert decode_console("Zürich".encode("cp850"), "cp850") == "Zürich"
    assert decode_console(b"\xff\xfe ok", "utf-8").endswith(" ok")
    assert is_interrupted_exit(3221225786) and is_interrupted_exit(-1073741510)
    assert not is_interrupted_exit(1)


def test_run_process_timeout_kills_the_whole_tree(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    script = (
        "import subprocess, sys, time;"
        "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        f"open({str(pidfile)!r}, 'w').write(str(c.pid)); print('started', flush=True);"
        "time.sleep(60)"
    )
    started = time.monotonic()
    result = run_process([sys.executable, "-c", script], timeout=1.5)
    assert result.timed_out and time.monotonic() - started < 8
    child = int(pidfile.read_text())
    assert _gone(child)


def test_a_tool_that_closes_its_output_early_is_still_followed_to_its_end() -> None:
    # The end of a tool is seen through its output closing; one that closes it and goes on working
    # is waited for by its process, with its own exit code.
    script = "import os, sys, time; print('bye', flush=True); os.close(1); os.close(2); "
    script += "time.sleep(0.4); sys.exit(3)"
    result = run_process([sys.executable, "-c", script], timeout=30)
    assert result.returncode == 3 and not result.timed_out and result.stdout == "bye"
    assert result.seconds >= 0.3


def test_a_tool_waiting_for_its_input_is_stopped_unused_and_reads_nothing_when_fed_nothing() -> None:
    script = "import sys; data = sys.stdin.buffer.read(); print(len(data)); sys.exit(7 if data else 0)"
    unused = launch_process([sys.executable, "-c", script], takes_input=True)
    assert not unused.pumps  # no thread until it gets its input
    unused.discard()
    assert unused.proc.returncode is not None and unused.ended
    unused.discard()  # again: nothing
    fed = launch_process([sys.executable, "-c", script], takes_input=True)
    fed.send(b"abc\n")
    result = fed.wait(timeout=30)
    assert result.returncode == 7 and result.stdout == "4"
    empty = launch_process([sys.executable, "-c", script], takes_input=True)
    empty.send(b"")  # what a run that died hands it: its input closes
    assert empty.wait(timeout=30).returncode == 0


def test_input_for_a_tool_that_already_ended_is_no_error() -> None:
    # rclone that failed at its start (a bad config) never reads its list: its exit code says why.
    ended = launch_process([sys.executable, "-c", "import sys; sys.exit(5)"], takes_input=True)
    ended.proc.wait(timeout=30)
    ended.send(b"x" * 1_000_000)  # more than a pipe holds: would block or raise if not handled
    result = ended.wait(timeout=30)
    assert result.returncode == 5 and not result.timed_out


def _gone(pid: int) -> bool:
    """True once ``pid`` has exited (a zombie waiting for a reaper counts as gone)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def test_a_child_that_outlives_the_tool_ends_with_it(tmp_path: Path) -> None:
    """The tool exits leaving a child running (POSIX: its process group; Windows: its Job Object)."""
    pidfile = tmp_path / "orphan.pid"
    script = (
        "import subprocess, sys;"
        "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],"
        " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL);"
        f"open({str(pidfile)!r}, 'w').write(str(c.pid))"
    )
    result = run_process([sys.executable, "-c", script], timeout=30)
    assert result.ok, result.stderr
    assert _gone(int(pidfile.read_text()))


def test_run_process_cancel_and_streaming() -> None:
    cancel = threading.Event()
    lines: list[str] = []

    def on_line(stream: str, line: str) -> None:
        lines.append(line)
        cancel.set()

    result = run_process(
        [sys.executable, "-c", "print('hello', flush=True); import time; time.sleep(30)"],
        cancel=cancel,
        on_line=on_line,
    )
    assert result.cancelled and lines == ["hello"]


def test_atomic_write_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    atomic_write_text(target, json.dumps({"a": 1}))
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]
    assert is_temp_name(os.path.basename(temp_path_for(target)))
