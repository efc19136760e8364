"""The rclone kind from the command line (``python -m engine run``), and secrets kept off every output.

The sftp remote is defined in an rclone.conf named by the profile and, for one run, inline in the
remote string (an on-the-fly remote), so its password could leak through rclone's messages.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.core.events import Event
from tests.engine.rclone.conftest import Rig, Target, frozen_folder, write_files
from tests.fakes.rclone_server import HOST, SftpServer, free_port

ROOT = Path(__file__).resolve().parents[3]


def _profile_text(source: Path, remote: str, config: Path | None, **extra: Any) -> str:
    lines = [
        'kind = "rclone"',
        "[rclone]",
        f"source = {json.dumps(str(source))}",
        f"remote = {json.dumps(remote)}",
    ]
    if config is not None:
        lines.append(f"config = {json.dumps(str(config))}")
    lines += [f"{key} = {json.dumps(value)}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


class Cli:
    """``python -m engine`` in a fresh process, as a script or a person runs it."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.outputs: list[str] = []

    def profile(self, name: str, text: str) -> None:
        folder = self.home / "profiles"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")

    def __call__(self, *args: str) -> tuple[int, Any]:
        env = {**os.environ, "REARGUARD_HOME": str(self.home)}
        done = subprocess.run(
            [sys.executable, "-m", "engine", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
        self.outputs += [done.stdout, done.stderr]
        assert "Traceback" not in done.stderr, done.stderr
        return done.returncode, json.loads(done.stdout) if "--json" in args else done.stdout


@pytest.fixture
def sftp_conf(sftp_server: SftpServer, tmp_path: Path, rclone_env: None) -> Path:
    conf = tmp_path / "rclone.conf"
    conf.write_text(sftp_server.config_text("offsite"), encoding="utf-8")
    return conf


def test_cli_runs_report_json_and_exit_codes(
    home: Path, tmp_path: Path, sftp_server: SftpServer, sftp_conf: Path
) -> None:
    cli = Cli(home)
    source, served = tmp_path / "src", sftp_server.root / tmp_path.name
    write_files(source, {"a.txt": "a", "b/c.txt": "c", "b/d.txt": "d"})
    cli.profile("off", _profile_text(source, f"offsite:{tmp_path.name}", sftp_conf))
    code, plan = cli("run", "off", "--dry-run", "--json")
    assert code == 0 and [a["path"] for a in plan["actions"]] == ["a.txt", "b/c.txt", "b/d.txt"]
    assert not served.exists()
    code, report = cli("run", "off", "--json")
    assert code == 0 and report["status"] == "ok" and report["counts"]["done"] == 3
    assert (served / "b" / "c.txt").read_text() == "c"
    write_files(source, {"b/c.txt": "c2"}, mtime=1_800_000_000)
    with frozen_folder(served / "b"):
        code, report = cli("run", "off", "--json")
    assert code == 1 and [(i["path"], i["status"]) for i in report["items"]] == [("b/c.txt", "failed")]
    for rel in ("a.txt", "b/d.txt"):
        (source / rel).unlink()
    code, report = cli("run", "off", "--json")
    assert code == 3 and report["status"] == "refused" and "max_delete_percent" in report["reason"]
    cli.profile("gone", _profile_text(source, "nowhere:x", sftp_conf))
    code, text = cli("run", "gone")
    assert code == 5 and "unreachable" in text


def test_passwords_never_reach_logs_reports_or_the_screen(
    home: Path, tmp_path: Path, sftp_server: SftpServer, sftp_conf: Path
) -> None:
    secrets = [sftp_server.password, sftp_server.obscured]
    cli = Cli(home)
    source = tmp_path / "src"
    write_files(source, {"a.txt": "a", "sub/b.txt": "b"})
    cli.profile("conf", _profile_text(source, f"offsite:{tmp_path.name}", sftp_conf))
    assert cli("run", "conf", "--json")[0] == 0
    write_files(source, {"sub/b.txt": "b2"}, mtime=1_800_000_000)
    with frozen_folder(sftp_server.root / tmp_path.name / "sub"):
        assert cli("run", "conf", "--json")[0] == 1
    cli("run", "conf", "--dry-run", "--json")
    # An on-the-fly remote carries the obscured password in the remote string itself; with the
    # server's port closed, rclone's error message repeats that string.
    inline = f":sftp,host={HOST},port={free_port()},user={sftp_server.user},pass={sftp_server.obscured}:x"
    cli.profile("inline", _profile_text(source, inline, None))
    code, report = cli("run", "inline", "--json")
    assert code == 5 and "pass=***" in report["reason"]
    code, text = cli("run", "inline")
    assert code == 5 and "pass=***" in text
    seen = "\n".join(cli.outputs)
    logs = "\n".join(p.read_text(encoding="utf-8") for p in (home / "logs").rglob("*.txt"))
    state = (home / "data" / "state.db").read_bytes().decode("utf-8", "replace")
    assert logs and "upload" in logs
    for secret in secrets:
        assert secret not in seen and secret not in logs and secret not in state


def test_passwords_from_environment_stay_out_of_events_and_report(
    local_rig: Rig, sftp_server: SftpServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key, value in sftp_server.env("ENVSF").items():
        monkeypatch.setenv(key, value)
    rig = local_rig
    rig.target = Target("sftp", f"ENVSF:{tmp_path.name}", sftp_server.root / tmp_path.name)
    write_files(rig.source, {"a.txt": "a"})
    events: list[Event] = []
    shown = [json.dumps(rig.run(events=events).as_json("t", "rclone"))]
    assert rig.target.files() == {"a.txt": b"a"}
    port = free_port()
    rig.target = Target(
        "sftp", f":sftp,host={HOST},port={port},pass={sftp_server.obscured}:x", rig.target.root
    )
    shown.append(json.dumps(rig.run(events=events).as_json("t", "rclone")))
    shown.append(json.dumps(rig.run(dry_run=True, events=events).as_json("t", "rclone")))
    assert "pass=***" in shown[-1]
    shown += [repr(e) for e in events]
    logs = [p.read_text() for p in rig.folders.logs.rglob("*.txt")]
    assert logs
    for text in shown + logs:
        assert sftp_server.obscured not in text and sftp_server.password not in text


def test_show_masks_a_password_inside_the_remote(home: Path, tmp_path: Path, sftp_server: SftpServer) -> None:
    cli = Cli(home)
    inline = f":sftp,host={HOST},user=u,pass={sftp_server.obscured}:x"
    cli.profile("inline", _profile_text(tmp_path, inline, None))
    code, text = cli("show", "inline")
    assert code == 0 and sftp_server.obscured not in text


def test_a_big_source_is_scanned_on_several_cores_from_the_cli(
    home: Path, tmp_path: Path, rclone_env: None
) -> None:
    """More folders than the top of the walk takes: the CLI forks scan workers; the result is exact."""
    cli = Cli(home)
    source, remote = tmp_path / "src", tmp_path / "remote"
    files = {f"p{i % 9}/f{i}/n{j}.txt": f"{i}-{j}" for i in range(100) for j in range(2)}
    write_files(source, {**files, "p1/f1/x.tmp": "left out", "top.txt": "top"})
    cli.profile("big", _profile_text(source, str(remote), None, exclude=["*.tmp"]))
    code, report = cli("run", "big", "--json")
    assert code == 0 and report["counts"]["done"] == len(files) + 1
    assert cli("run", "big", "--dry-run", "--json")[1]["actions"] == []
    write_files(source, {"p4/f4/n1.txt": "changed", "p8/f98/new.txt": "new"}, mtime=1_800_000_000)
    (source / "p2/f11/n0.txt").unlink()
    (source / "top.txt").unlink()  # gone at the top, and a whole folder gone below it
    shutil.rmtree(source / "p3/f12")
    code, plan = cli("run", "big", "--dry-run", "--json")
    assert {(a["action"], a["path"]) for a in plan["actions"]} == {
        ("upload", "p4/f4/n1.txt"),
        ("upload", "p8/f98/new.txt"),
        ("delete", "p2/f11/n0.txt"),
        ("delete", "top.txt"),
        ("delete", "p3/f12/n0.txt"),
        ("delete", "p3/f12/n1.txt"),
    }
    code, report = cli("run", "big", "--json")
    assert code == 0 and report["counts"]["done"] == 6
    assert (remote / "p4/f4/n1.txt").read_text() == "changed" and not (remote / "p2/f11/n0.txt").exists()
    assert not (remote / "p1/f1/x.tmp").exists()
    logs = "\n".join(p.read_text(encoding="utf-8") for p in (home / "logs").rglob("*.txt"))
    assert "did not finish" not in logs
