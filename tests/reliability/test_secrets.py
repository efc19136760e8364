"""Secrets in profiles, rclone.conf and the environment never reach a log, a report or the screen.

Passwords (plain and as rclone obscures them), OAuth tokens and client secrets are set up the
three ways users do it; runs succeed, fail on a wrong password, lose the remote mid-upload; every
command's output, every log file, every JSON report and the run history are then searched for
each secret. The figure to publish is the number of occurrences found: zero.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.core.events import Event, ItemFinished
from engine.core.folders import Folders
from engine.jobs.rclone import tally
from tests.fakes.rclone_server import HOST, obscure
from tests.reliability import scale
from tests.reliability.procs import ROOT, engine_argv
from tests.reliability.rigs import Loopback, RcloneRig
from tests.reliability.world import SourceTree

pytestmark = [pytest.mark.reliability, pytest.mark.skipif(sys.platform == "win32", reason="loopback sftp")]

TOKEN = '{"access_token":"ya29.AT-sEcReT-4f9a","token_type":"Bearer","refresh_token":"1//RT-sEcReT-77c1","expiry":"2030-01-01T00:00:00Z"}'  # noqa: E501
CLIENT_SECRET = "CS-sEcReT-b6e2d0"
API_KEY = "AK-sEcReT-19ff03"


def _occurrences(text: str, secrets: list[str]) -> dict[str, int]:
    return {s: text.count(s) for s in secrets if text.count(s)}


def _history(folders: Folders) -> str:
    conn = sqlite3.connect(folders.state_db)
    try:
        rows = conn.execute("SELECT reason, failures FROM runs").fetchall()
    finally:
        conn.close()
    return json.dumps(rows)


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rclone_env: None) -> Iterator[Loopback]:
    monkeypatch.setattr(tally, "STALL_SECONDS", 3.0)  # a vanished remote is given up after 3 s, not 120
    loopback = Loopback(tmp_path / "served", monkeypatch)
    loopback.start()
    yield loopback
    loopback.stop()


def test_no_secret_reaches_a_log_a_report_or_the_screen(
    tmp_path: Path, home: Path, folders: Folders, server: Loopback
) -> None:
    port = os.environ["RCLONE_CONFIG_SF_PORT"]
    wrong = obscure(server.rclone, "wrong-" + server.password)
    secrets = [
        server.password,
        server.obscured,
        wrong,
        "ya29.AT-sEcReT-4f9a",
        "1//RT-sEcReT-77c1",
        CLIENT_SECRET,
        API_KEY,
        "wrong-" + server.password,
    ]
    conf = tmp_path / "rclone.conf"
    conf.write_text(
        f"[offsite]\ntype = sftp\nhost = {HOST}\nport = {port}\nuser = rg\npass = {server.obscured}\n\n"
        f"[badpass]\ntype = sftp\nhost = {HOST}\nport = {port}\nuser = rg\npass = {wrong}\n\n"
        f"[drive]\ntype = drive\nclient_id = 123.apps\nclient_secret = {CLIENT_SECRET}\ntoken = {TOKEN}\n\n"
        f"[b2]\ntype = b2\naccount = acc\nkey = {API_KEY}\n"
    )
    tree = SourceTree(tmp_path / "src", random.Random(61))
    tree.populate(files=40, big=6, big_size=2 * 1024 * 1024)  # several uploads in flight when it goes
    on_the_fly = f":sftp,host={HOST},port={port},user=rg,pass={server.obscured}:fly"
    profiles = {
        "by-conf": f'remote = "offsite:backup"\nconfig = "{conf}"',
        "by-env": 'remote = "SF:env"',
        "on-the-fly": f'remote = "{on_the_fly}"',
        "wrong-pass": f'remote = "badpass:backup"\nconfig = "{conf}"',
        "inline-wrong": f'remote = ":sftp,host={HOST},port={port},user=rg,pass={wrong}:x"',
    }
    for name, remote in profiles.items():
        (folders.profiles / f"{name}.toml").write_text(
            f'kind = "rclone"\n[rclone]\nsource = "{tree.root}"\n{remote}\n'
        )
    env = {**os.environ, "REARGUARD_HOME": str(home)}
    screens: list[str] = []
    commands = [["list"], ["list", "--json"]]
    for name in scale.pick(["by-conf", "on-the-fly", "wrong-pass"], list(profiles)):
        commands += [
            ["show", name],
            ["show", name, "--json"],
            ["run", name, "--dry-run", "--json"],
            ["run", name],
        ]
        commands += scale.pick([], [["check", name], ["run", name, "--json"]])
    for argv in commands:
        done = subprocess.run(
            engine_argv(*argv), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        screens.append(f"$ {' '.join(argv)} -> {done.returncode}\n{done.stdout}\n{done.stderr}")
    failed = [c for c in screens if "-> 5" in c.splitlines()[0]]
    assert len(failed) >= 2, "the wrong-password runs must fail (and say why) for this test to mean anything"
    if scale.FULL:
        screens.append(_remote_going_away(folders, tree, server))
    _scan(folders, screens, secrets, len(commands))


def _remote_going_away(folders: Folders, tree: SourceTree, server: Loopback) -> str:
    """The remote going away in the middle of an upload, in-process; its report as JSON."""
    rig = RcloneRig(folders, tree, "SF:gone", server.root / "gone")
    done_paths: list[str] = []

    def stop_after_the_first(event: Event) -> None:
        if isinstance(event, ItemFinished) and event.status == "done":
            done_paths.append(event.path)
            if len(done_paths) == 1:
                server.stop()

    outcome = rig.run(reporter=stop_after_the_first)
    assert outcome.report is not None and outcome.report.failures
    return json.dumps(outcome.report.as_json())


def _scan(folders: Folders, screens: list[str], secrets: list[str], commands: int) -> None:
    """Search what was shown, logged and recorded for every secret; count what is found."""
    logs = [p.read_text(errors="replace") for p in folders.logs.rglob("LOG-*.txt")]
    places = {"screen": "\n".join(screens), "logs": "\n".join(logs), "history": _history(folders)}
    scanned = sum(len(text) for text in places.values())
    scale.count("checked.secret_scan_bytes", scanned)
    scale.count("checked.secret_commands", commands)
    for where, text in places.items():
        found = _occurrences(text, secrets)
        scale.count(f"leaks.{where}", sum(found.values()))
        assert not found, f"secrets in the {where}: {found}"
    assert scanned > 10_000 and logs, "too little output was searched"
