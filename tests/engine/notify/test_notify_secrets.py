"""Secrets never reach a log, the outbox, the metrics file or a message: SMTP passwords (keyring and
environment), webhook tokens and ping URLs, rclone.conf passwords; tracebacks included."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from engine.core.folders import Folders
from engine.core.logs import attach_daily_log
from engine.core.profiles import read_profile
from engine.core.secrets import run_secrets
from engine.notify.mail import KEYRING_SERVICE
from engine.notify.run_events import flush_outbox, notify_run_finished
from tests.engine.notify.conftest import T0, finished_report, write_profile
from tests.fakes.http_receiver import Receiver
from tests.fakes.keyring_backend import FileKeyring
from tests.fakes.smtp_server import QUIET, SmtpServer, closed_port

pytestmark = pytest.mark.filterwarnings(QUIET)

KEYRING_PASSWORD = "kr-sEcReT-0b7d2e"
ENV_PASSWORD = "env-sEcReT-8c3f1a"
HOOK_TOKEN = "XoXb-sEcReT-hook-4f9a01"
PING_TOKEN = "d1e2f3a4-sEcReT-ping-77aa"
RCLONE_PASS = "rc-sEcReT-obscured-99f0"


def everything_written(folders: Folders) -> dict[str, bytes]:
    """Every file Rearguard wrote: the state database (WAL too), logs, metrics (not the settings)."""
    config = {folders.notifications, *folders.profiles.glob("*")}
    root = folders.profiles.parent
    return {str(p): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and p not in config}


def test_no_channel_secret_reaches_the_logs_the_outbox_or_the_metrics(
    folders: Folders, home: Path, file_keyring: FileKeyring
) -> None:
    file_keyring.set_password(KEYRING_SERVICE, "rg@127.0.0.1", KEYRING_PASSWORD)
    secrets = [KEYRING_PASSWORD, HOOK_TOKEN, PING_TOKEN]
    metrics = home / "rearguard.prom"

    def settings(smtp_server: str, hook_url: str) -> str:
        return (
            f'[email]\nserver = "{smtp_server}"\nsecurity = "none"\nuser = "rg"\n'
            'from = "b@example.com"\nto = ["it@example.com"]\n'
            f'[webhook]\nurl = "{hook_url}"\nformat = "slack"\n[metrics]\ntextfile = "{metrics}"\n'
        )

    with SmtpServer("rg", KEYRING_PASSWORD) as smtp, Receiver() as hook:
        ping = hook.url(f"/ping/{PING_TOKEN}")
        profile = write_profile(folders, "Projects", notify=f'[notify]\nwhen = "always"\nping = "{ping}"')
        hook_url = hook.url(f"/services/{HOOK_TOKEN}")
        folders.notifications.write_text(settings(f"127.0.0.1:{closed_port()}", hook_url), encoding="utf-8")
        hook.status = 503
        # A reason that carries the secrets (a tool that echoed its command line, say); the run
        # history is the runner's business, so only what notifications write is searched here.
        report = finished_report("Projects", reason=f"rclone said: {hook_url} {ping}")
        notified = notify_run_finished(folders, profile, report, now=T0 + timedelta(minutes=1))
        assert {r.channel for r in notified.results if not r.ok} == {"email", "webhook", "ping"}
        on_screen = "\n".join(str(r.as_json()) for r in notified.results)
        hook.status = 200
        folders.notifications.write_text(settings(smtp.server, hook_url), encoding="utf-8")
        results = flush_outbox(folders)
        assert all(r.ok for r in results) and {r.channel for r in results} == {"email", "webhook", "ping"}
    assert len(smtp.received) == 1 and len(hook.requests) == 2  # the message, the ping
    sent = b"\n".join([smtp.received[0].content] + [r.body for r in hook.requests])
    written = everything_written(folders)
    assert any(name.endswith("state.db") for name in written)
    assert metrics.is_file() and (folders.logs / "Projects").is_dir()
    for secret in secrets:
        assert [n for n, data in written.items() if secret.encode() in data] == [], secret
        assert secret not in on_screen
        assert secret.encode() not in sent, f"{secret} went out in a message"
    assert b"rclone said: ***" in sent  # the reason was masked, not dropped


def test_a_traceback_in_the_daily_log_is_masked(tmp_path: Path) -> None:
    log = logging.getLogger("rearguard.test")
    with attach_daily_log(tmp_path, [RCLONE_PASS]):
        try:
            raise RuntimeError(f"login failed with {RCLONE_PASS}")
        except RuntimeError:
            log.exception("it broke")
    text = "".join(p.read_text() for p in tmp_path.iterdir())
    assert "Traceback" in text and "RuntimeError: login failed with ***" in text
    assert RCLONE_PASS not in text


def test_the_run_log_knows_the_kinds_and_the_channels_secrets(
    folders: Folders, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "rclone.conf"
    conf.write_text(f"[off]\ntype = sftp\nhost = h\npass = {RCLONE_PASS}\n", encoding="utf-8")
    ping = f"https://hc-ping.com/{PING_TOKEN}"
    path = folders.profiles / "up.toml"
    path.write_text(
        f'kind = "rclone"\n[notify]\nping = "{ping}"\n'
        f'[rclone]\nsource = "/a"\nremote = "off:b"\nconfig = "{conf}"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("SMTP_PASS", ENV_PASSWORD)
    folders.notifications.write_text(
        '[email]\nserver = "s:25"\nuser = "u"\npassword = "env:SMTP_PASS"\nfrom = "a@b.c"\nto = ["d@e.f"]\n'
        f'[webhook]\nurl = "https://hooks.example.com/services/{HOOK_TOKEN}"\n',
        encoding="utf-8",
    )
    found = run_secrets(read_profile(path), folders)
    for secret in (RCLONE_PASS, ENV_PASSWORD, HOOK_TOKEN, PING_TOKEN, ping):
        assert secret in found
    assert found == sorted(found, key=len, reverse=True)
    # A broken notifications.toml adds nothing and breaks nothing.
    folders.notifications.write_text("[email\n", encoding="utf-8")
    assert RCLONE_PASS in run_secrets(read_profile(path), folders)
