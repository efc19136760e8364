"""Every channel against a real server on 127.0.0.1: what arrives is what the message says, byte for
byte where it matters; a login refused, a server that is down or that never answers costs a few
seconds and loses nothing; each message goes out exactly once when the channel comes back."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from engine.core.folders import Folders
from engine.core.logs import log_file_for
from engine.core.state import StateDB
from engine.notify import outbox
from engine.notify.channel_check import send_test
from engine.notify.delivery import DEADLINE_S
from engine.notify.http import TIMEOUT_S
from engine.notify.mail import KEYRING_SERVICE
from engine.notify.message import run_message
from engine.notify.run_events import flush_outbox, notify_run_finished, notify_run_started
from tests.engine.notify.conftest import T0, finished_report, write_profile
from tests.fakes.http_receiver import Receiver
from tests.fakes.keyring_backend import FileKeyring
from tests.fakes.smtp_server import QUIET, SmtpServer, closed_port, make_certificate, silent_server

pytestmark = pytest.mark.filterwarnings(QUIET)

PASSWORD = "smtp-sEcReT-5a1f"
LATER = T0 + timedelta(minutes=5)


def notifications(folders: Folders, text: str) -> None:
    folders.notifications.write_text(text, encoding="utf-8")


def email_section(server: str, security: str = "none", user: str = "rg", when: str = "problems") -> str:
    login = f'user = "{user}"\n' if user else ""
    return (
        f'[email]\nserver = "{server}"\nsecurity = "{security}"\n{login}from = "backup@example.com"\n'
        f'to = ["it@example.com"]\nwhen = "{when}"\n'
    )


def states(folders: Folders) -> list[tuple[str, str]]:
    db = StateDB(folders.state_db)
    try:
        return [(str(c), str(s)) for c, s in db.conn.execute("SELECT channel, state FROM outbox ORDER BY id")]
    finally:
        db.close()


def test_a_failed_run_reaches_the_mailbox_with_what_to_do(
    folders: Folders, file_keyring: FileKeyring
) -> None:
    profile = write_profile(folders, "Projects")
    report = finished_report("Projects", "failed", folders=folders)
    file_keyring.set_password(KEYRING_SERVICE, "rg@127.0.0.1", PASSWORD)
    with SmtpServer("rg", PASSWORD) as smtp:
        notifications(folders, email_section(smtp.server))
        notified = notify_run_finished(folders, profile, report, now=LATER)
    assert [r.ok for r in notified.results] == [True]
    (got,) = smtp.received
    assert got.login == "rg" and got.rcpt_tos == ["it@example.com"] and got.mail_from == "backup@example.com"
    mail = got.email
    assert mail["Subject"] == "[Rearguard] Projects: backup failed"
    log = str(log_file_for(folders.profile_logs("Projects"), report.finished.astimezone().date()))  # type: ignore[union-attr]
    plain = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    expected = run_message(report, log)
    assert plain.replace("\r\n", "\n") == expected.text()  # SMTP carries lines as CRLF
    assert "docs/file0.dwg: permission denied" in plain and "What to do: The failed items" in plain
    assert f"Log: {log}" in plain
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<h2" in html and "Projects: backup failed" in html and "docs/file1.dwg" in html
    assert states(folders) == [("email", "sent")]


def test_a_good_run_is_news_only_to_a_channel_that_wants_always(folders: Folders) -> None:
    profile = write_profile(folders, "Quiet")
    loud = write_profile(folders, "Loud", notify='[notify]\nwhen = "always"')
    with SmtpServer() as smtp:
        notifications(folders, email_section(smtp.server, user=""))
        notify_run_finished(
            folders, profile, finished_report("Quiet", "ok", failures=0, folders=folders), now=LATER
        )
        assert smtp.received == []
        notify_run_finished(
            folders, loud, finished_report("Loud", "ok", failures=0, folders=folders), now=LATER
        )
        (got,) = smtp.received
    assert got.email["Subject"] == "[Rearguard] Loud: backup done"


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_email_over_tls_with_a_login(
    folders: Folders, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, security: str
) -> None:
    cert = make_certificate(tmp_path)
    if cert is None:
        pytest.skip("openssl is needed to make a certificate")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert[0]))  # the client trusts this one certificate
    monkeypatch.setenv("SMTP_PASS", PASSWORD)
    with SmtpServer("rg", PASSWORD, security=security, cert=cert) as smtp:
        notifications(folders, email_section(smtp.server, security).replace('"keyring"', "") + "")
        text = folders.notifications.read_text().replace(
            'user = "rg"\n', 'user = "rg"\npassword = "env:SMTP_PASS"\n'
        )
        notifications(folders, text)
        (result,) = send_test(folders)
    assert result.ok, result.error
    (got,) = smtp.received
    assert got.login == "rg" and got.email["Subject"] == "[Rearguard] Rearguard test message"


def test_a_refused_login_keeps_the_message_until_the_password_is_right(
    folders: Folders, file_keyring: FileKeyring
) -> None:
    profile = write_profile(folders, "Projects")
    wrong = "wrong-" + PASSWORD
    file_keyring.set_password(KEYRING_SERVICE, "rg@127.0.0.1", wrong)
    with SmtpServer("rg", PASSWORD) as smtp:
        notifications(folders, email_section(smtp.server))
        notified = notify_run_finished(
            folders, profile, finished_report("Projects", folders=folders), now=LATER
        )
        (result,) = notified.results
        assert not result.ok and result.waiting == 1
        assert result.error is not None and result.error.startswith(
            "login refused for rg: the server answered 535"
        )
        assert wrong not in result.error and smtp.received == []
        file_keyring.set_password(KEYRING_SERVICE, "rg@127.0.0.1", PASSWORD)
        (again,) = flush_outbox(folders)
        assert again.ok and again.sent == 1 and again.waiting == 0
        assert flush_outbox(folders) == []  # nothing waits: nothing is sent twice
    assert len(smtp.received) == 1
    assert states(folders) == [("email", "sent")]


def test_no_password_anywhere_is_a_channel_down_not_a_crash(
    folders: Folders, file_keyring: FileKeyring
) -> None:
    with SmtpServer("rg", PASSWORD) as smtp:
        notifications(folders, email_section(smtp.server))
        (result,) = send_test(folders)
    assert not result.ok and "no password in the OS keyring for rg@127.0.0.1" in (result.error or "")
    assert "rearguard notify password" in (result.error or "")


@pytest.mark.parametrize("fmt", ["json", "slack", "teams", "ntfy"])
def test_each_webhook_format_gets_the_shape_its_service_expects(folders: Folders, fmt: str) -> None:
    profile = write_profile(folders, "Projects")
    report = finished_report(
        "Projects", "refused", failures=0, reason="source folder /data/src is gone", folders=folders
    )
    with Receiver() as hook:
        notifications(
            folders, f'[webhook]\nurl = "{hook.url("/hooks/T0/B0/abcdefabcdef0123")}"\nformat = "{fmt}"\n'
        )
        notify_run_finished(folders, profile, report, now=LATER)
    (got,) = hook.requests
    assert got.path == "/hooks/T0/B0/abcdefabcdef0123"
    if fmt == "json":  # the very object `rearguard run --json` prints
        assert got.body == json.dumps(report.as_json(), ensure_ascii=False).encode("utf-8")
        assert got.headers["Content-Type"] == "application/json; charset=utf-8"
    elif fmt == "slack":
        text = json.loads(got.body)["text"]
        assert text.startswith("*Projects: backup refused*\n") and "source folder /data/src is gone" in text
    elif fmt == "teams":
        card = json.loads(got.body)
        assert card["type"] == "message"
        (attachment,) = card["attachments"]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        content = attachment["content"]
        assert content["type"] == "AdaptiveCard" and content["version"] == "1.4"
        assert content["body"][0]["text"] == "Projects: backup refused"
        assert content["body"][0]["color"] == "Attention"
    else:
        assert got.headers["Title"] == "Projects: backup refused"
        assert got.headers["Priority"] == "high" and got.headers["Tags"] == "warning"
        assert got.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert b"Reason: source folder /data/src is gone" in got.body


def test_health_check_pings_follow_the_healthchecks_protocol(folders: Folders) -> None:
    with Receiver() as hc:
        base = hc.url("/ping/5bf6c4a0-1c2d-4e5f-9a8b-7c6d5e4f3a2b")
        profile = write_profile(folders, "Projects", notify=f'[notify]\nping = "{base}"')
        notify_run_started(folders, profile)
        notify_run_finished(
            folders, profile, finished_report("Projects", "ok", failures=0, folders=folders), now=LATER
        )
        notify_run_started(folders, profile)
        failed = finished_report("Projects", "failed", started=T0 + timedelta(hours=1), folders=folders)
        notify_run_finished(folders, profile, failed, now=LATER + timedelta(hours=1))
        verify_ok = finished_report("Projects", "ok", failures=0, run_kind="verify", folders=folders)
        notify_run_finished(folders, profile, verify_ok, now=LATER + timedelta(hours=2))
        verify_bad = finished_report(
            "Projects", "failed", run_kind="verify", started=T0 + timedelta(hours=3), folders=folders
        )
        notify_run_finished(folders, profile, verify_bad, now=LATER + timedelta(hours=3))
    path = "/ping/5bf6c4a0-1c2d-4e5f-9a8b-7c6d5e4f3a2b"
    assert hc.paths() == [f"{path}/start", path, f"{path}/start", f"{path}/fail", f"{path}/fail"]
    assert hc.requests[3].body.startswith(
        b"Projects: backup failed\nThe mirror profile 'Projects': backup failed."
    )
    assert hc.requests[4].body.startswith(b"Projects: verify found differences")


def test_a_channel_that_comes_back_gets_each_waiting_message_exactly_once(folders: Folders) -> None:
    profile = write_profile(folders, "Projects")
    with Receiver() as hook:
        notifications(folders, f'[webhook]\nurl = "{hook.url("/hook")}"\nformat = "json"\n')
        hook.status = 503
        for hour in range(3):
            report = finished_report("Projects", started=T0 + timedelta(hours=hour), folders=folders)
            notified = notify_run_finished(folders, profile, report, now=LATER + timedelta(hours=hour))
            assert not notified.results[0].ok and notified.results[0].waiting == hour + 1
        hook.status = 200
        # Two processes flush at the same moment: the claims keep them from sending anything twice.
        results: list[object] = []
        threads = [threading.Thread(target=lambda: results.append(flush_outbox(folders))) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert flush_outbox(folders) == []
    started = [json.loads(r.body)["started"] for r in hook.requests]
    assert sorted(started) == [(T0 + timedelta(hours=h)).isoformat() for h in range(3)]
    assert started == sorted(started)  # oldest first
    assert states(folders) == [("webhook", "sent")] * 3


@pytest.mark.slow
def test_channels_that_are_down_cost_a_run_a_few_seconds_at_most(folders: Folders) -> None:
    profile = write_profile(
        folders, "Projects", notify=f'[notify]\nping = "http://127.0.0.1:{closed_port()}/p"'
    )
    with silent_server() as smtp_port, silent_server() as http_port:
        notifications(
            folders,
            email_section(f"127.0.0.1:{smtp_port}", user="")
            + f'[webhook]\nurl = "http://127.0.0.1:{http_port}/hook"\n',
        )
        begun = time.monotonic()
        notify_run_started(folders, profile)
        start_cost = time.monotonic() - begun
        begun = time.monotonic()
        notified = notify_run_finished(
            folders, profile, finished_report("Projects", folders=folders), now=LATER
        )
        cost = time.monotonic() - begun
    assert start_cost < 1.0  # a closed port answers at once
    assert TIMEOUT_S - 0.5 < cost < DEADLINE_S + 1.0, cost  # the silent ones: one timeout, side by side
    by_channel = {r.channel: r for r in notified.results}
    assert set(by_channel) == {"email", "webhook", "ping"}
    assert all(not r.ok and r.waiting == 1 for r in by_channel.values())
    assert "timed out" in (by_channel["email"].error or "") and "timed out" in (
        by_channel["webhook"].error or ""
    )
    assert by_channel["ping"].error == "connection refused"
    db = StateDB(folders.state_db)
    try:
        assert len(outbox.waiting(db)) == 3
    finally:
        db.close()
