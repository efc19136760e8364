"""The command line as a user (or a script) meets it: subprocesses, exit codes, JSON."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine import __version__
from tests.cli.conftest import CLI, ROOT, write_profile
from tests.engine.mirror.trees import make_tree, snapshot


def mirror_profile(tmp_path: Path, **extra: str) -> str:
    lines = [f"{k} = {v}" for k, v in extra.items()]
    return (
        'kind = "mirror"\n[mirror]\n'
        f'source = "{tmp_path / "src"}"\nreplica = "{tmp_path / "dst"}"\n' + "\n".join(lines) + "\n"
    )


def test_version_and_help(cli: CLI) -> None:
    assert cli("--version").out.strip() == f"rearguard {__version__}"
    result = cli("--help")
    assert result.code == 0
    for command in ("run", "list", "show", "check", "mirror"):
        assert command in result.out


@pytest.mark.parametrize(
    "args",
    [
        ["run"],
        ["frobnicate"],
        ["run", "x", "--every"],
        ["mirror", "a"],
        ["list", "--bogus"],
        ["run", "x", "--max", "two"],
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(cli: CLI, args: list[str]) -> None:
    result = cli(*args)
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert "Traceback" not in result.err


def test_run_by_name_then_list_show_check(cli: CLI, home: Path, tmp_path: Path) -> None:
    make_tree(tmp_path / "src", {"a.txt": "a", "b/c.txt": "c"})
    write_profile(home, "usb", mirror_profile(tmp_path))
    result = cli("run", "usb", "--json")
    assert result.code == 0, result.err
    report = result.json()
    assert report["status"] == "ok" and report["counts"]["done"] == 3 and report["reason"] is None
    assert {i["path"] for i in report["items"]} == {"a.txt", "b", "b/c.txt"}
    assert snapshot(tmp_path / "dst") == snapshot(tmp_path / "src")
    listing = cli("list", "--json").json()["profiles"]
    assert listing[0]["name"] == "usb" and listing[0]["last_run"]["status"] == "ok"
    assert "usb" in cli("list").out
    shown = cli("show", "usb")
    assert shown.code == 0 and "[mirror]" in shown.out and "ok" in shown.out
    assert cli("check", "usb").code == 0


def test_run_by_path_and_dry_run_json(cli: CLI, tmp_path: Path) -> None:
    make_tree(tmp_path / "src", {"a.txt": "abc"})
    path = tmp_path / "p.toml"
    path.write_text(mirror_profile(tmp_path))
    result = cli("run", str(path), "--dry-run", "--json")
    assert result.code == 0
    plan = result.json()
    assert plan["profile"] == "p" and plan["kind"] == "mirror"
    assert plan["actions"] == [{"action": "copy", "path": "a.txt", "bytes": 3}]
    assert not (tmp_path / "dst").exists()


def test_bad_profile_lists_every_problem_exit_2(cli: CLI, home: Path) -> None:
    write_profile(home, "bad", 'kind = "mirror"\nextra = 1\n[mirror]\nsource = "/a"\nreplica = "/a/b"\n')
    result = cli("run", "bad")
    assert result.code == 2
    assert "extra: unknown key" in result.err and "[mirror]: replica must not be inside source" in result.err
    assert "Traceback" not in result.err
    assert cli("check", "bad").code == 2
    assert cli("run", "nosuch").code == 2


def test_refusal_exit_3_with_reason_in_json(cli: CLI, tmp_path: Path) -> None:
    make_tree(tmp_path / "dst", {"precious": "p"})
    result = cli("mirror", str(tmp_path / "src"), str(tmp_path / "dst"), "--json")
    assert result.code == 3
    data = result.json()
    assert data["status"] == "refused" and "does not exist" in data["reason"]


def test_every_below_15_minutes_is_refused(cli: CLI, tmp_path: Path) -> None:
    result = cli("mirror", str(tmp_path / "src"), str(tmp_path / "dst"), "--every", "5m")
    assert result.code == 2 and "15 minutes" in result.err


def test_second_start_exits_4_naming_the_holder(cli: CLI, home: Path, tmp_path: Path) -> None:
    make_tree(tmp_path / "src", {"a": "a"})
    write_profile(home, "p", mirror_profile(tmp_path))
    from engine.core.folders import app_folders
    from engine.core.lock import ProfileLock

    with ProfileLock(app_folders().create().locks, "p", "rearguard run p (test)"):
        result = cli("run", "p")
    assert result.code == 4
    assert f"held by process {os.getpid()}" in result.err


def test_repeat_runs_max_times_and_logs_each(cli: CLI, tmp_path: Path, home: Path) -> None:
    make_tree(tmp_path / "src", {"a": "a"})
    result = cli(
        "mirror",
        str(tmp_path / "src"),
        str(tmp_path / "dst"),
        "--every",
        "15m",
        "--max",
        "3",
        "--log-dir",
        str(tmp_path / "logs"),
        env={"REARGUARD_TEST_TIME_SCALE": "9000"},
    )
    assert result.code == 0, result.err
    assert result.out.count(": ok") == 3
    log_text = "".join(p.read_text() for p in (tmp_path / "logs").glob("LOG-*.txt"))
    assert log_text.count("started") == 3


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery")
def test_ctrl_c_during_repeat_exits_130_without_temp_files(home: Path, tmp_path: Path) -> None:
    make_tree(tmp_path / "src", {f"f{i}": "x" * 100 for i in range(50)})
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "engine",
            "mirror",
            str(tmp_path / "src"),
            str(tmp_path / "dst"),
            "--every",
            "4h",
        ],
        cwd=ROOT,
        env={**os.environ, "REARGUARD_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("next run in"):
            break
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)  # drain both pipes: a full pipe must not look like a hang
    assert proc.returncode == 130, err
    assert not list((tmp_path / "dst").rglob(".~rg.*"))


def test_ctrl_c_during_a_copy_stops_cleanly(home: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_tree(src, {f"d{i}/f{j}": "y" * 2000 for i in range(40) for j in range(50)})
    (src / "big.bin").write_bytes(os.urandom(64 * 1024 * 1024))
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "mirror", str(src), str(tmp_path / "dst")],
        cwd=ROOT,
        env={**os.environ, "REARGUARD_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not (tmp_path / "dst").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=30)
    assert code in (0, 130)  # 0 when it finished before the signal landed
    assert not list((tmp_path / "dst").rglob(".~rg.*"))
    for path in (tmp_path / "dst").rglob("*"):
        if path.is_file() and ".rearguard" not in path.parts:
            assert path.read_bytes() == (src / path.relative_to(tmp_path / "dst")).read_bytes()
