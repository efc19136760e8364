"""Notifications from the command line, as a server with nobody logged in meets them: a channel
that is down never changes a run's exit code nor holds it more than a few seconds; its messages go
out, once, with ``rearguard notify test``; the SMTP password is stored without echo and shown nowhere."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from tests.cli.conftest import CLI, write_profile
from tests.fakes.http_receiver import Receiver
from tests.fakes.keyring_backend import BACKEND, ENV
from tests.fakes.smtp_server import QUIET, SmtpServer, closed_port, silent_server

pytestmark = pytest.mark.filterwarnings(QUIET)

PASSWORD = "cli-sEcReT-smtp-31d7"
HOOK_TOKEN = "T01-sEcReT-B02-hook-9f8e7d"
PING_TOKEN = "ping-sEcReT-0c9b8a7f6e5d"


def mirror_text(tmp_path: Path, notify: str = "") -> str:
    folders = f'source = "{tmp_path / "src"}"\nreplica = "{tmp_path / "dst"}"\n'
    return f'kind = "mirror"\n{notify}\n[mirror]\n{folders}'


def email_section(server: str) -> str:
    return (
        f'[email]\nserver = "{server}"\nsecurity = "none"\nuser = "rg"\nfrom = "backup@example.com"\n'
        'to = ["it@example.com"]\nwhen = "always"\n'
    )


def outbox_rows(home: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(home / "data" / "state.db")
    try:
        return [(str(c), str(s)) for c, s in conn.execute("SELECT channel, state FROM outbox ORDER BY id")]
    finally:
        conn.close()


@pytest.fixture
def keyring_env(tmp_path: Path) -> dict[str, str]:
    return {"PYTHON_KEYRING_BACKEND": BACKEND, ENV: str(tmp_path / "keyring.json")}


@pytest.mark.slow
def test_channels_that_are_down_change_no_exit_code_and_cost_seconds(
    cli: CLI, home: Path, tmp_path: Path
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a")
    write_profile(home, "usb", mirror_text(tmp_path))
    write_profile(home, "gone", mirror_text(tmp_path / "nowhere"))
    quiet = {name: cli("run", name, "--json") for name in ("usb", "gone")}
    assert (quiet["usb"].code, quiet["gone"].code) == (0, 3)
    with silent_server() as smtp_port, silent_server() as hook_port, silent_server() as ping_port:
        ping = f"http://127.0.0.1:{ping_port}/{PING_TOKEN}"
        write_profile(home, "usb", mirror_text(tmp_path, f'[notify]\nwhen = "always"\nping = "{ping}"'))
        (home / "notifications.toml").write_text(
            email_section(f"127.0.0.1:{smtp_port}")
            + f'[webhook]\nurl = "http://127.0.0.1:{hook_port}/{HOOK_TOKEN}"\n'
            + f'[metrics]\ntextfile = "{home / "rearguard.prom"}"\n'
        )
        timings = {}
        for name, expected in (("usb", 0), ("gone", 3)):
            begun = time.monotonic()
            result = cli("run", name, "--json")
            timings[name] = time.monotonic() - begun
            assert result.code == expected, result.err
            assert json.loads(result.out)["status"] == (
                "ok" if expected == 0 else "refused"
            )  # stdout: the JSON only
            assert "notify: email: NOT reached" in result.err and "outbox" in result.err
            for secret in (HOOK_TOKEN, PING_TOKEN):
                assert secret not in result.out + result.err
    # The start ping (3 s at most) and the channels after the run (one 5 s timeout, side by side).
    assert timings["usb"] < 3 + 5 + 3, timings
    assert timings["gone"] < 5 + 3, timings
    assert (home / "rearguard.prom").is_file()
    # Both runs for email (when = "always") and the webhook (the refused run is a problem; usb's own
    # [notify] when = "always" widens it), and usb's ping.
    expected = [("email", "pending")] * 2 + [("webhook", "pending")] * 2 + [("ping", "pending")]
    assert sorted(outbox_rows(home)) == sorted(expected)


def test_notify_test_sends_what_waited_exactly_once(
    cli: CLI, home: Path, tmp_path: Path, keyring_env: dict[str, str]
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a")
    with SmtpServer("rg", PASSWORD) as smtp, Receiver() as hook:
        write_profile(home, "usb", mirror_text(tmp_path, f'[notify]\nping = "{hook.url("/" + PING_TOKEN)}"'))
        (home / "notifications.toml").write_text(
            email_section(smtp.server) + f'[webhook]\nurl = "{hook.url("/" + HOOK_TOKEN)}"\nwhen = "always"\n'
        )
        hook.status = 503
        run = cli("run", "usb", env=keyring_env)  # no password stored yet, the webhook is down
        assert run.code == 0
        assert "email: NOT reached — no password in the OS keyring for rg@127.0.0.1" in run.err
        down = cli("notify", "test", "--json", env=keyring_env)
        assert down.code == 5
        report = down.json()
        assert report["exit_code"] == 5 and {c["channel"] for c in report["channels"]} == {
            "email",
            "webhook",
            "ping",
        }
        assert all(not c["ok"] and c["waiting"] >= 1 for c in report["channels"] if c["channel"] != "ping")
        stored = cli("notify", "password", env=keyring_env, stdin=PASSWORD + "\n")
        assert stored.code == 0 and "stored in the OS keyring (Rearguard SMTP / rg@127.0.0.1)" in stored.out
        hook.status = 200
        ok = cli("notify", "test", env=keyring_env)
        assert ok.code == 0, ok.out + ok.err
        lines = ok.out.splitlines()
        assert any(line.startswith("email: ok, 1 waiting message(s) sent") for line in lines), lines
        assert any(line.startswith("webhook: ok, 1 waiting message(s) sent") for line in lines), lines
        assert any(line.startswith("ping: ok, 1 waiting message(s) sent") for line in lines), lines
        again = cli("notify", "test", env=keyring_env)
        assert again.code == 0 and "waiting message" not in again.out
    subjects = sorted(r.email["Subject"] for r in smtp.received)
    assert subjects == ["[Rearguard] Rearguard test message"] * 2 + ["[Rearguard] usb: backup done"]
    assert all(r.login == "rg" for r in smtp.received)
    runs = [json.loads(r.body) for r in hook.requests if r.path == "/" + HOOK_TOKEN]
    assert [r.get("run") for r in runs].count("backup") == 1  # the run's report, once
    assert [r.path for r in hook.requests].count("/" + PING_TOKEN) == 1
    shown = "\n".join(x.out + x.err for x in (run, down, stored, ok, again))
    logs = "\n".join(p.read_text() for p in (home / "logs").rglob("*.txt"))
    database = b"".join(p.read_bytes() for p in (home / "data").glob("state.db*"))
    for secret in (PASSWORD, HOOK_TOKEN, PING_TOKEN):
        assert secret not in shown and secret not in logs and secret.encode() not in database, secret


def test_a_broken_notifications_file_is_exit_2_for_notify_but_never_for_a_run(
    cli: CLI, home: Path, tmp_path: Path
) -> None:
    (tmp_path / "src").mkdir()
    write_profile(home, "usb", mirror_text(tmp_path))
    (home / "notifications.toml").write_text(
        '[email]\nserver = "nowhere"\npassword = "hunter2-sEcReT"\nfrom = "x"\nto = ["y@z"]\n[sms]\n'
    )
    test = cli("notify", "test")
    assert test.code == 2
    for words in (
        "[email].server:",
        "[email].password: must be 'keyring' or 'env:NAME'",
        "[email].from:",
        "sms:",
    ):
        assert words in test.err, test.err
    assert "hunter2-sEcReT" not in test.err
    run = cli("run", "usb")
    assert run.code == 0 and "notify:" in run.err and "hunter2-sEcReT" not in run.err
    (home / "notifications.toml").unlink()
    none = cli("notify", "test")
    assert none.code == 2 and "no channel to test" in none.err


def test_notify_password_without_a_keyring_says_what_to_do(cli: CLI, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "notifications.toml").write_text(email_section(f"127.0.0.1:{closed_port()}"))
    result = cli(
        "notify",
        "password",
        env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
        stdin="pw-sEcReT\n",
    )
    assert result.code == 5 and "password = 'env:NAME'" in result.err and "pw-sEcReT" not in result.err


def test_verify_and_quick_mirror_tell_the_channels_too(cli: CLI, home: Path, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a")
    write_profile(home, "usb", mirror_text(tmp_path))
    with Receiver() as hook:
        (home / "notifications.toml").write_text(f'[webhook]\nurl = "{hook.url("/h")}"\nwhen = "always"\n')
        assert cli("run", "usb").code == 0
        (tmp_path / "dst" / "a.txt").write_text("b")  # the backup no longer matches its source
        assert cli("verify", "usb", "--full").code == 1
        assert cli("mirror", str(tmp_path / "src"), str(tmp_path / "quick")).code == 0
    events = [json.loads(r.body) for r in hook.requests]
    assert [(e["profile"][:7], e["run"], e["status"]) for e in events] == [
        ("usb", "backup", "ok"),
        ("usb", "verify", "failed"),
        ("mirror-", "backup", "ok"),
    ]


def test_show_masks_the_ping_url(cli: CLI, home: Path, tmp_path: Path) -> None:
    ping = f"https://hc-ping.com/{PING_TOKEN}"
    write_profile(home, "usb", mirror_text(tmp_path, f'[notify]\nping = "{ping}"'))
    for args in (("show", "usb"), ("show", "usb", "--json")):
        shown = cli(*args)
        assert shown.code == 0 and PING_TOKEN not in shown.out and "ping" in shown.out
