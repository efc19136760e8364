"""notifications.toml and a profile's [notify]: every problem at once with its place, unknown keys
refused, a password never accepted in the file (and never repeated back), saved as it was read."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.core.errors import ProfileError
from engine.core.folders import Folders
from engine.core.profiles import parse_profile_text
from engine.notify.settings import (
    load_notifications,
    notification_problems,
    parse_notifications,
    save_notifications,
)

GOOD = """
[email]
server = "smtp.example.com:587"
security = "starttls"
user = "backup@example.com"
password = "keyring"
from = "backup@example.com"
to = ["it@example.com", "boss@example.com"]
when = "problems"

[webhook]
url = "https://chat.example.com/hooks/abc"
format = "teams"
when = "always"

[metrics]
textfile = "/var/lib/prometheus/node-exporter/rearguard.prom"
"""


def test_the_documented_example_loads_and_is_saved_as_it_was(folders: Folders, home: Path) -> None:
    assert folders.notifications == home / "notifications.toml"  # beside profiles/
    settings = parse_notifications(GOOD)
    assert settings.email is not None and settings.email.host == "smtp.example.com"
    assert settings.email.port == 587 and settings.email.sender == "backup@example.com"
    assert settings.channels == ["email", "webhook"]
    save_notifications(folders, settings)
    text = folders.notifications.read_text(encoding="utf-8")
    assert 'from = "backup@example.com"' in text and "sender" not in text
    assert load_notifications(folders) == settings


def test_no_file_means_no_channels(folders: Folders) -> None:
    assert load_notifications(folders).channels == []


def test_every_problem_is_reported_at_once_with_its_place() -> None:
    text = """
[email]
server = "smtp.example.com"
security = "ssl"
from = "not an address"
to = []
color = "red"

[webhook]
url = "ftp://example.com/x"
format = "discord"

[metrics]
textfile = "relative/rearguard.prom"

[sms]
to = "+1"
"""
    with pytest.raises(ProfileError) as caught:
        parse_notifications(text, "notifications.toml")
    problems = caught.value.problems
    assert caught.value.exit_code == 2
    expected = {
        "[email].server": "host:port",
        "[email].security": "'starttls', 'tls' or 'none'",
        "[email].from": "not an e-mail address",
        "[email].to": "at least 1",
        "[email].color": "unknown key",
        "[webhook].url": "https://",
        "[webhook].format": "'json', 'slack', 'teams' or 'ntfy'",
        "[metrics].textfile": "absolute path",
        "sms": "unknown section",
    }
    for place, words in expected.items():
        assert any(p.startswith(place + ":") and words in p for p in problems), (place, problems)
    assert len(problems) == len(expected)


def test_a_password_in_the_file_is_refused_and_never_repeated() -> None:
    secret = "Hunter2-sEcReT-9c1"
    data = {"email": {"server": "s:25", "from": "a@b.c", "to": ["d@e.f"], "user": "u", "password": secret}}
    problems = notification_problems(data)
    assert problems and problems[0].startswith("[email].password: must be 'keyring' or 'env:NAME'")
    assert secret not in "\n".join(problems)
    with pytest.raises(ProfileError) as caught:
        parse_notifications(
            f'[email]\nserver = "s:25"\nfrom = "a@b.c"\nto = ["d@e.f"]\npassword = "{secret}"\n'
        )
    assert secret not in str(caught.value)
    assert notification_problems({**data, "email": {**data["email"], "password": "env:SMTP_PASS"}}) == []


def test_a_broken_file_is_one_clear_message() -> None:
    with pytest.raises(ProfileError, match="not valid TOML"):
        parse_notifications("[email\n")


def test_a_profile_notify_table_is_checked_with_its_place() -> None:
    base = '[mirror]\nsource = "/a"\nreplica = "/b"\n'
    good = parse_profile_text(
        f'kind = "mirror"\n[notify]\nwhen = "always"\nping = "https://hc-ping.com/0f1e"\n{base}', "p"
    )
    assert good.spec.notify is not None and good.spec.notify.when == "always"
    with pytest.raises(ProfileError) as caught:
        parse_profile_text(
            f'kind = "mirror"\n[notify]\nwhen = "sometimes"\nping = "hc-ping.com/x"\nx = 1\n{base}', "p"
        )
    problems = caught.value.problems
    assert any(p.startswith("[notify].when:") for p in problems)
    assert any(p.startswith("[notify].ping: must start with https://") for p in problems)
    assert any(p == "[notify].x: unknown key" for p in problems)
    rclone = parse_profile_text(
        'kind = "rclone"\n[notify]\nwhen = "never"\n[rclone]\nsource = "/a"\nremote = "r:b"\n', "p"
    )
    assert rclone.spec.notify is not None and rclone.spec.notify.when == "never"  # every kind has it
