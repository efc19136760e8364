"""Sending what waits in the outbox, each channel in its own thread, within a few seconds.

A channel that is down costs one timeout (``TIMEOUT_S``), not one per message: its first failure
stops it and its messages wait for the next delivery. All channels together never take longer than
``DEADLINE_S``; a channel still busy then is left to finish in the background (its claimed rows
are given back when it fails, or after ``outbox.CLAIM_EXPIRES`` when the process is gone).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from engine.core.errors import ProfileError
from engine.core.folders import Folders
from engine.core.profiles import profile_path, read_profile
from engine.core.state import StateDB
from engine.notify import outbox
from engine.notify.http import TIMEOUT_S, ChannelDown, Rejected
from engine.notify.mail import SmtpSession, smtp_password
from engine.notify.message import Message
from engine.notify.secrets import password_forms, settings_secrets
from engine.notify.settings import NotificationSettings
from engine.notify.webhook import send_ping, send_webhook
from engine.tools.redact import redact

DEADLINE_S = 8.0  # every channel together, after a run
CHANNELS = ("email", "webhook", "ping")
log = logging.getLogger("rearguard.notify")


@dataclass
class ChannelResult:
    """What one channel did: reached or not, how many messages went, how many still wait."""

    channel: str
    ok: bool
    sent: int = 0
    waiting: int = 0
    error: str | None = None
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "ok": self.ok,
            "sent": self.sent,
            "waiting": self.waiting,
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }


class Sender(Protocol):
    def send(self, row: outbox.OutboxRow) -> None: ...

    def close(self) -> None: ...


class _EmailSender:
    def __init__(self, session: SmtpSession) -> None:
        self.session = session

    def send(self, row: outbox.OutboxRow) -> None:
        self.session.send(Message.from_json(row.message))

    def close(self) -> None:
        self.session.close()


class _WebhookSender:
    def __init__(self, url: str, fmt: str, timeout: float) -> None:
        self.url, self.fmt, self.timeout = url, fmt, timeout

    def send(self, row: outbox.OutboxRow) -> None:
        send_webhook(self.url, self.fmt, Message.from_json(row.message), self.timeout)

    def close(self) -> None:
        pass


class ProfileGone(Exception):
    """The row's profile has no ping URL any more: nothing to send it to."""


class _PingSender:
    def __init__(self, folders: Folders, timeout: float) -> None:
        self.folders, self.timeout = folders, timeout

    def send(self, row: outbox.OutboxRow) -> None:
        url = ping_of(self.folders, row.profile or "")
        if url is None:
            raise ProfileGone("the profile has no [notify] ping any more")
        send_ping(url, str(row.message.get("suffix", "")), str(row.message.get("body", "")), self.timeout)

    def close(self) -> None:
        pass


def ping_of(folders: Folders, name: str) -> str | None:
    """A profile's ``[notify] ping`` as its file says now (None: no such profile or no ping)."""
    try:
        spec = read_profile(profile_path(folders, name)).spec
    except ProfileError:
        return None
    return spec.notify.ping if spec.notify is not None else None


@dataclass
class Delivery:
    """How to reach the channels: the settings, and the SMTP password when one was given."""

    folders: Folders
    settings: NotificationSettings
    environ: Mapping[str, str]
    password: str | None = None  # given by the caller (a window testing a typed password)
    timeout: float = TIMEOUT_S

    def secrets(self) -> list[str]:
        found = settings_secrets(self.settings, self.environ)
        email = self.settings.email
        if self.password:
            found += password_forms(self.password, email.user if email else "")
        return found

    def sender(self, channel: str) -> Sender:
        """The sender for ``channel``; raises ChannelDown when it cannot be used at all."""
        if channel == "ping":
            return _PingSender(self.folders, self.timeout)
        if channel == "webhook" and self.settings.webhook is not None:
            hook = self.settings.webhook
            return _WebhookSender(hook.url, hook.format, self.timeout)
        if channel == "email" and self.settings.email is not None:
            email = self.settings.email
            password = self.password if self.password is not None else smtp_password(email, self.environ)
            if password:
                self.password = password  # masked from here on, in every message
            return _EmailSender(SmtpSession(email, password, self.timeout))
        raise ProfileGone(f"no [{channel}] in notifications.toml")


def _now() -> datetime:
    return datetime.now(UTC)


def drain(
    delivery: Delivery,
    channel: str,
    db_path: Path,
    *,
    budget_s: float = DEADLINE_S - TIMEOUT_S,
    first: Callable[[Sender], None] | None = None,
) -> ChannelResult:
    """Send ``channel``'s waiting rows, oldest first, until it fails or the budget is spent.

    ``first`` (a test message) is sent before the outbox; its failure is the channel's.
    """
    started = time.monotonic()
    result = ChannelResult(channel, ok=True)
    db = StateDB(db_path)
    sender: Sender | None = None
    try:
        try:
            sender = delivery.sender(channel)
            if first is not None:
                first(sender)
        except (ChannelDown, Rejected) as error:
            result.ok, result.error = False, str(error)
        except ProfileGone as error:
            for row in outbox.waiting(db, channel):
                outbox.drop(db, row.id, str(error))
            result.error = str(error)
        token = outbox.new_claim_token()
        while sender is not None and result.error is None and time.monotonic() - started < budget_s:
            rows = outbox.claim(db, channel, token, _now(), limit=10)
            if not rows:
                break
            _send_rows(db, sender, rows, result, started, budget_s)
        result.waiting = len(outbox.waiting(db, channel))
    finally:
        if sender is not None:
            sender.close()
        db.close()
    if result.error:
        result.error = redact(result.error, delivery.secrets())
    result.seconds = time.monotonic() - started
    return result


def _send_rows(
    db: StateDB,
    sender: Sender,
    rows: Sequence[outbox.OutboxRow],
    result: ChannelResult,
    started: float,
    budget_s: float,
) -> None:
    for number, row in enumerate(rows):
        if time.monotonic() - started >= budget_s:
            outbox.release(db, [r.id for r in rows[number:]], None)
            return
        try:
            sender.send(row)
        except ChannelDown as error:
            result.ok, result.error = False, str(error)
            outbox.release(db, [r.id for r in rows[number:]], str(error), tried=[row.id])
            return
        except Rejected as error:
            gave_up = outbox.refused(db, row, str(error))
            log.warning("notify: %s refused a message%s: %s", row.channel, " (given up)" * gave_up, error)
            continue
        except ProfileGone as error:
            outbox.drop(db, row.id, str(error))
            continue
        outbox.mark_sent(db, row.id, _now())
        result.sent += 1


def deliver(
    delivery: Delivery,
    channels: Sequence[str] | None = None,
    *,
    deadline_s: float = DEADLINE_S,
    first: Mapping[str, Callable[[Sender], None]] | None = None,
) -> list[ChannelResult]:
    """Drain every channel that has something waiting (or ``channels``), side by side."""
    db_path = delivery.folders.state_db
    if channels is None:
        db = StateDB(db_path)
        try:
            channels = outbox.waiting_channels(db)
        finally:
            db.close()
    results: dict[str, ChannelResult] = {}
    threads = []
    budget = max(0.5, deadline_s - delivery.timeout)
    for channel in channels:

        def work(channel: str = channel) -> None:
            try:
                results[channel] = drain(
                    delivery, channel, db_path, budget_s=budget, first=(first or {}).get(channel)
                )
            except Exception as error:  # a bug in one channel must not stop the others or the run
                log.warning("notify: %s stopped by an unexpected error: %s", channel, type(error).__name__)
                why = f"unexpected error: {type(error).__name__}"
                results[channel] = ChannelResult(channel, False, error=why)

        thread = threading.Thread(target=work, name=f"notify-{channel}", daemon=True)
        thread.start()
        threads.append(thread)
    end = time.monotonic() + deadline_s
    for thread in threads:
        thread.join(max(0.0, end - time.monotonic()))
    out = []
    for channel in channels:
        found = results.get(channel)
        out.append(found or ChannelResult(channel, False, error=f"no answer within {deadline_s:g} s"))
    for item in out:
        if item.ok and item.sent:
            log.info("notify: %s took %d message(s)", item.channel, item.sent)
        elif not item.ok:
            log.warning(
                "notify: %s could not be reached (%s); %d message(s) wait in the outbox",
                item.channel,
                item.error,
                item.waiting,
            )
    return out
