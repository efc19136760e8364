"""``notifications.toml``: who hears about runs (email, a webhook) and where metrics go.

The models (``engine.core.schema``) are the one source of truth for the loader, the window's
Notifications page and the docs. Every problem is reported at once with its place
(``[email].server: ...``); unknown keys are an error. A password is never kept here: ``password``
says where it is ("keyring" or "env:NAME"), and a value that looks like a password is refused
without being repeated.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from engine.core.errors import ProfileError
from engine.core.folders import Folders
from engine.core.profiles import NotifyWhen, expand, web_address
from engine.core.schema import Invalid, Section, key
from engine.files.atomic import atomic_write_text

SECTIONS = ("email", "webhook", "metrics")
_ENV_NAME = re.compile(r"^env:([A-Za-z_][A-Za-z0-9_]*)$")
_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+$")
_WHEN_HELP = "'problems' (failed, refused, unreachable, differences, overdue), 'always' or 'never'"


def _address(value: str) -> str:
    if not _ADDRESS.match(value.strip()):
        raise ValueError("is not an e-mail address (name@example.com)")
    return value.strip()


def _server(value: str) -> str:
    host, _colon, port = value.strip().rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("must be host:port, e.g. 'smtp.example.com:587'")
    if any(c.isspace() or c in "/@" for c in host):
        raise ValueError("must be a host name or address, then ':' and the port")
    return value.strip()


def _password(value: str) -> str:
    if value != "keyring" and not _ENV_NAME.match(value):
        raise ValueError(
            "must be 'keyring' or 'env:NAME'; a password is never written in this file "
            "(store it with 'rearguard notify password')"
        )
    return value


def _addresses(value: list[str]) -> list[str]:
    return [_address(v) for v in value]


@dataclass(frozen=True, kw_only=True)
class EmailSettings(Section):
    server: str = key(description="SMTP server as host:port, e.g. 'smtp.example.com:587'", check=_server)
    security: Literal["starttls", "tls", "none"] = key(
        "starttls", description="'starttls' (port 587), 'tls' (port 465) or 'none' (a local relay)"
    )
    user: str = key("", description="login name; empty = no login")
    password: str = key(
        "keyring",
        description="where the password is: 'keyring' (set it with 'rearguard notify password') or "
        "'env:NAME' (an environment variable); never the password itself",
        check=_password,
    )
    sender: str = key(alias="from", description="the From address", check=_address)
    to: list[str] = key(min_length=1, description="who receives the messages", check=_addresses)
    when: NotifyWhen = key("problems", description=_WHEN_HELP)

    @property
    def host(self) -> str:
        return self.server.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.server.rpartition(":")[2])

    @property
    def password_env(self) -> str | None:
        """The environment variable holding the password, or None when it is in the keyring."""
        match = _ENV_NAME.match(self.password)
        return match.group(1) if match else None


@dataclass(frozen=True, kw_only=True)
class WebhookSettings(Section):
    url: str = key(description="where to POST (its token is masked in every log)", check=web_address)
    format: Literal["json", "slack", "teams", "ntfy"] = key(
        "json", description="'json' (the run report as --json prints it), 'slack', 'teams' or 'ntfy'"
    )
    when: NotifyWhen = key("problems", description=_WHEN_HELP)


def _textfile(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    if not Path(value.strip()).expanduser().is_absolute():
        raise ValueError("must be an absolute path (runs start in different folders)")
    return value.strip()


@dataclass(frozen=True, kw_only=True)
class MetricsSettings(Section):
    textfile: str = key(
        description="Prometheus text file rewritten after every run (node_exporter's textfile collector)",
        path="file",
        check=_textfile,
    )

    @property
    def path(self) -> Path:
        return expand(self.textfile)


@dataclass(frozen=True, kw_only=True)
class NotificationSettings(Section):
    email: EmailSettings | None = key(None)
    webhook: WebhookSettings | None = key(None)
    metrics: MetricsSettings | None = key(None)

    @property
    def channels(self) -> list[str]:
        """The configured channels that carry messages (metrics carry none)."""
        return [name for name in ("email", "webhook") if getattr(self, name) is not None]


def _location(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc]
    if not parts:
        return "notifications"
    if parts[0] in SECTIONS:
        return f"[{parts[0]}]" + ("." + ".".join(parts[1:]) if parts[1:] else "")
    return ".".join(parts)


def _message(error: Any) -> str:
    kind, msg, loc = error["type"], str(error["msg"]), error["loc"]
    is_section = len(loc) == 1 and loc[0] in SECTIONS
    if kind == "extra_forbidden":
        return "unknown section" if len(loc) == 1 else "unknown key"
    if kind == "missing":
        return "section is missing" if is_section else "required key is missing"
    return msg.removeprefix("Value error, ")


def notification_problems(data: dict[str, Any]) -> list[str]:
    """Every problem in parsed ``notifications.toml`` data as ``[section].key: message`` (none: [])."""
    try:
        NotificationSettings.model_validate(data)
    except Invalid as error:
        return [f"{_location(e['loc'])}: {_message(e)}" for e in error.errors()]
    return []


def validate_notifications(data: dict[str, Any], source: str = "notifications.toml") -> NotificationSettings:
    """The settings, or ProfileError (exit 2) listing every problem with its place."""
    try:
        return NotificationSettings.model_validate(data)
    except Invalid:
        raise ProfileError(source, notification_problems(data)) from None


def parse_notifications(text: str, source: str = "notifications.toml") -> NotificationSettings:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(source, [f"not valid TOML: {error}"]) from None
    except RecursionError:
        raise ProfileError(source, ["not valid TOML: arrays or tables nested too deeply"]) from None
    return validate_notifications(data, source)


def read_notifications(path: Path) -> NotificationSettings:
    """The file's settings; no file means no channels (every section is optional)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return NotificationSettings()
    except UnicodeDecodeError:
        raise ProfileError(str(path), ["not UTF-8 text"]) from None
    except OSError as error:
        raise ProfileError(str(path), [f"cannot be read: {error.strerror or error}"]) from None
    return parse_notifications(text, str(path))


def load_notifications(folders: Folders) -> NotificationSettings:
    """``notifications.toml`` from the config folder (beside ``profiles/``)."""
    return read_notifications(folders.notifications)


def dump_notifications(settings: NotificationSettings) -> str:
    """The TOML text: sections in the documented order, ``from`` spelt as in the file."""
    import tomli_w

    data = settings.model_dump(by_alias=True, exclude_none=True)
    return tomli_w.dumps({name: data[name] for name in SECTIONS if name in data})


def save_notifications(folders: Folders, settings: NotificationSettings) -> Path:
    """Write ``notifications.toml`` atomically; returns its path."""
    path = folders.notifications
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, dump_notifications(settings))
    return path
