"""``rearguard notify test`` and the window's "Send test": a test message through each channel, with
its result, then whatever waited in the outbox for the channels that answered.

A test message is never queued: sent late it would only confuse. ``settings`` and ``password`` let the
window test what its form holds before it is saved or the password is stored.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from engine.core.errors import ProfileError
from engine.core.folders import Folders
from engine.core.state import StateDB
from engine.notify import outbox
from engine.notify.delivery import DEADLINE_S, ChannelResult, Delivery, Sender, deliver
from engine.notify.message import channel_test_message
from engine.notify.settings import NotificationSettings, load_notifications


def _first(row: outbox.OutboxRow) -> Callable[[Sender], None]:
    def send(sender: Sender) -> None:
        sender.send(row)

    return send


def send_test(
    folders: Folders,
    channels: Sequence[str] | None = None,
    *,
    settings: NotificationSettings | None = None,
    password: str | None = None,
    environ: Mapping[str, str] | None = None,
    deadline_s: float = DEADLINE_S,
) -> list[ChannelResult]:
    """Test each configured channel (or ``channels``); raises ProfileError for a broken or empty file."""
    settings = settings if settings is not None else load_notifications(folders)
    names = list(channels) if channels is not None else settings.channels
    if not names:
        raise ProfileError(
            str(folders.notifications), ["no channel to test: add an [email] or a [webhook] section"]
        )
    unknown = [n for n in names if n not in settings.channels]
    if unknown:
        raise ProfileError(str(folders.notifications), [f"[{n}]: section is missing" for n in unknown])
    now = datetime.now(UTC)
    message = channel_test_message(now)
    row = outbox.OutboxRow(0, "test", message.key, None, now.isoformat(), message.as_json(), "test", 0, None)
    db = StateDB(folders.state_db)
    try:
        pings = ["ping"] if channels is None and "ping" in outbox.waiting_channels(db) else []
    finally:
        db.close()
    delivery = Delivery(folders, settings, os.environ if environ is None else environ, password=password)
    return deliver(delivery, names + pings, deadline_s=deadline_s, first={n: _first(row) for n in names})
