"""What the notification channels know that must never be shown: tokens in webhook and ping URLs,
and the SMTP password. ``engine.core.secrets`` asks here (by name) for every run's log filter.

A webhook URL is a password in all but name (Slack, Teams and ntfy put the token in the path, some
services in the query), so the whole address is masked, and a long path or query value on its own.
The keyring's password is read only when a message goes out (``engine.notify.mail``), never at a
run's start: an OS keyring can be slow or ask to be unlocked.
"""

from __future__ import annotations

import base64
import os
import urllib.parse
from collections.abc import Mapping

from engine.core.errors import ProfileError
from engine.core.folders import Folders
from engine.core.profiles import Profile
from engine.notify.settings import NotificationSettings, load_notifications

_LONG = 12  # a path or value this long is a token, not a word that also appears in file paths


def url_secrets(url: str) -> list[str]:
    """The parts of a URL that grant access: the whole address, its password, its long tokens."""
    url = url.strip()
    if not url:
        return []
    found = [url]
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return found
    if parts.password:
        found.append(parts.password)
    path = parts.path.strip("/")
    if len(path) >= _LONG:
        found.append(parts.path)
    for segment in path.split("/"):
        if len(segment) >= _LONG:
            found.append(segment)
    for _name, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=False):
        if len(value) >= 6:
            found.append(value)
            found.append(urllib.parse.quote(value, safe=""))
    return found


def password_forms(password: str, user: str = "") -> list[str]:
    """A password as SMTP puts it on the wire (AUTH PLAIN and LOGIN send it base64-encoded)."""
    if not password:
        return []
    plain = f"\0{user}\0{password}".encode()
    return [
        password,
        base64.b64encode(password.encode()).decode(),
        base64.b64encode(plain).decode(),
    ]


def settings_secrets(settings: NotificationSettings, environ: Mapping[str, str] | None = None) -> list[str]:
    """The channels' secrets: the webhook's tokens, and an SMTP password given as ``env:NAME``."""
    env = os.environ if environ is None else environ
    found: list[str] = []
    if settings.webhook is not None:
        found += url_secrets(settings.webhook.url)
    email = settings.email
    if email is not None and email.password_env:
        found += password_forms(env.get(email.password_env, ""), email.user)
    return found


def ping_secrets(profile: Profile) -> list[str]:
    notify = profile.spec.notify
    return url_secrets(notify.ping) if notify is not None and notify.ping else []


def secrets_for(profile: Profile, folders: Folders) -> list[str]:
    """Every notification secret a run of ``profile`` could meet (a broken file adds none)."""
    found = ping_secrets(profile)
    try:
        found += settings_secrets(load_notifications(folders))
    except ProfileError:
        pass  # reported where the file is used; its tokens are unknown until it is fixed
    return found
