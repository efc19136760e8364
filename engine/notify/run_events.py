"""Who hears about a run: the calls the CLI (and the window's run worker) make around every run.

- ``notify_run_started(folders, profile)``: the health-check ``<ping>/start`` (a few seconds at most);
- ``notify_run_finished(folders, profile, report)``: queue the run's message for each channel whose
  ``when`` wants it, the ping (``<ping>`` or ``<ping>/fail``), an "overdue" message for every stale
  profile (once per stale period), rewrite the metrics file, then send what waits in the outbox;
  the same in two steps: ``queue_run_finished`` (the CLI's, with the run's own state database,
  before its session ends) and ``send_queued`` (after it, so no message waits on the lock);
- ``flush_outbox(folders)``: send what waits (the app's start, ``notify test``).

None of them raises or changes a run's outcome: a channel that is down is logged and its message
waits in the outbox. Core never imports this (layers); core's runner knows nothing of channels.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from engine.core.errors import ProfileError
from engine.core.folders import Folders
from engine.core.logs import attach_daily_log, log_file_for
from engine.core.profiles import Profile
from engine.core.report import RunReport
from engine.core.secrets import run_secrets
from engine.core.state import StateDB
from engine.notify import outbox
from engine.notify.message import Message, overdue_message, run_message
from engine.notify.metrics import write_metrics
from engine.notify.overdue import overdue_profiles
from engine.notify.settings import NotificationSettings, load_notifications
from engine.tools.redact import redact

if TYPE_CHECKING:  # delivery pulls in smtplib, ssl and urllib: imported only when a message goes out
    from engine.notify.delivery import ChannelResult

START_TIMEOUT_S = 3.0  # a late "started" ping means nothing: it is not queued, and waits little
log = logging.getLogger("rearguard.notify")


@dataclass
class Notified:
    """What the notifications after a run did (for a caller that wants to show it)."""

    queued: list[str] = field(default_factory=list)  # "email: <title>", "ping: /fail", ...
    results: list[ChannelResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # a broken notifications.toml, metrics not written

    @property
    def unreached(self) -> list[ChannelResult]:
        return [r for r in self.results if not r.ok]


def wants(channel_when: str, profile: Profile, problem: bool) -> bool:
    """A channel's ``when``, or the profile's ``[notify] when`` over it: is this message for it?"""
    notify = profile.spec.notify
    when = notify.when if notify is not None and notify.when is not None else channel_when
    return when == "always" or (when == "problems" and problem)


def _settings(folders: Folders, notified: Notified) -> NotificationSettings:
    try:
        return load_notifications(folders)
    except ProfileError as error:
        notified.problems.append(str(error))
        log.warning("notify: %s", error)
        return NotificationSettings()


def _log_folder(folders: Folders, profile: Profile, log_dir: Path | None) -> Path:
    return log_dir or folders.profile_logs(profile.name)


def notify_run_started(folders: Folders, profile: Profile, *, timeout: float = START_TIMEOUT_S) -> None:
    """``<ping>/start`` for a profile with a ``[notify] ping``; never raises, never waits long."""
    notify = profile.spec.notify
    if notify is None or not notify.ping:
        return
    from engine.notify.http import ChannelDown, Rejected
    from engine.notify.webhook import PING_START, send_ping

    try:
        send_ping(notify.ping, PING_START, f"{profile.name}: started", timeout)
    except (ChannelDown, Rejected) as error:
        shown = redact(str(error), run_secrets(profile, folders))
        with attach_daily_log(_log_folder(folders, profile, None), run_secrets(profile, folders)):
            log.warning("notify: the start ping could not be sent (%s)", shown)


def _queue_run(
    db: StateDB,
    settings: NotificationSettings,
    profile: Profile,
    message: Message,
    now: datetime,
    notified: Notified,
) -> None:
    for channel in settings.channels:
        section = getattr(settings, channel)
        # only a JSON webhook sends the whole report; keep the outbox small (and skip copying it)
        data = (message if channel == "webhook" else replace(message, report=None)).as_json()
        if wants(section.when, profile, message.problem) and outbox.enqueue(
            db, channel, message.key, data, now, profile.name
        ):
            notified.queued.append(f"{channel}: {message.title}")


def _queue_ping(
    db: StateDB, profile: Profile, report: RunReport, message: Message, now: datetime
) -> str | None:
    notify = profile.spec.notify
    if notify is None or not notify.ping:
        return None
    if report.run_kind == "verify" and not message.problem:
        return None  # a verify is not a backup: only its differences are news to a health check
    from engine.notify.webhook import PING_FAIL, PING_OK

    suffix = PING_OK if report.status == "ok" else PING_FAIL
    body = f"{message.title}\n{message.summary()}"
    dedupe = f"{message.key}:ping"
    outbox.enqueue(db, "ping", dedupe, {"suffix": suffix, "body": body}, now, profile.name)
    outbox.supersede(db, "ping", profile.name, keep=dedupe)
    return suffix or "(good run)"


def _queue_overdue(
    folders: Folders, db: StateDB, settings: NotificationSettings, now: datetime, notified: Notified
) -> None:
    for stale, alert in overdue_profiles(folders, db, now):
        log_path = str(log_file_for(folders.profile_logs(stale.name), now.date()).parent)
        message = overdue_message(alert, stale.kind, log_path)
        _queue_run(db, settings, stale, message, now, notified)


def _write_metrics(
    folders: Folders, settings: NotificationSettings, db: StateDB, now: datetime
) -> str | None:
    if settings.metrics is None:
        return None
    try:
        write_metrics(folders, settings.metrics.path, db, now)
    except OSError as error:
        return f"the metrics file {settings.metrics.path} could not be written: {error.strerror or error}"
    return None


def notify_run_finished(
    folders: Folders,
    profile: Profile,
    report: RunReport,
    *,
    log_dir: Path | None = None,
    now: datetime | None = None,
    environ: Mapping[str, str] | None = None,
) -> Notified:
    """Everything that follows a finished run or verify: queue, then send; never raises (a bug is logged)."""
    queued = queue_run_finished(folders, profile, report, log_dir=log_dir, now=now)
    return send_queued(folders, profile, queued, log_dir=log_dir, environ=environ)


@dataclass
class Queued:
    """What ``queue_run_finished`` leaves for ``send_queued``: the channels with messages waiting."""

    notified: Notified
    secrets: list[str]  # the run's, masked in every line the sending logs
    settings: NotificationSettings = field(default_factory=NotificationSettings)
    waiting: list[str] = field(default_factory=list)


def queue_run_finished(
    folders: Folders,
    profile: Profile,
    report: RunReport,
    db: StateDB | None = None,
    *,
    log_dir: Path | None = None,
    now: datetime | None = None,
) -> Queued:
    """Queue what follows a finished run: its message for each channel that wants it, the ping,
    overdue alerts; rewrite the metrics file. Never raises (a bug is logged).

    ``db``: the run's own state database, still open inside its session (whose daily log is
    attached), so the database is not opened and checked a second time (12 ms with a big index).
    """
    queued = Queued(Notified(), run_secrets(profile, folders))
    folder = _log_folder(folders, profile, log_dir)
    with attach_daily_log(folder, queued.secrets) if db is None else contextlib.nullcontext():
        try:
            _queue(folders, profile, report, folder, now or datetime.now(UTC), queued, db)
        except Exception as error:  # notifications must never turn a run into a crash
            _unexpected(queued.notified, error)
    return queued


def send_queued(
    folders: Folders,
    profile: Profile,
    queued: Queued,
    *,
    log_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Notified:
    """Send what waits for the channels ``queue_run_finished`` found; never raises (a bug is logged)."""
    notified = queued.notified
    if not queued.waiting:
        return notified  # nothing to send: the mail and web modules are not even imported
    with attach_daily_log(_log_folder(folders, profile, log_dir), queued.secrets):
        try:
            from engine.notify.delivery import Delivery, deliver

            delivery = Delivery(folders, queued.settings, os.environ if environ is None else environ)
            notified.results = deliver(delivery, queued.waiting)
        except Exception as error:
            _unexpected(notified, error)
    return notified


def _unexpected(notified: Notified, error: Exception) -> None:
    log.exception("notify: stopped by an unexpected error")
    notified.problems.append(f"notifications stopped by an unexpected error: {type(error).__name__}")


def _queue(
    folders: Folders,
    profile: Profile,
    report: RunReport,
    folder: Path,
    now: datetime,
    queued: Queued,
    db: StateDB | None,
) -> None:
    notified = queued.notified
    settings = queued.settings = _settings(folders, notified)
    broken = bool(notified.problems)
    log_path = str(log_file_for(folder, (report.finished or now).astimezone().date()))
    message = run_message(report, log_path, queued.secrets, whole_report=settings.webhook is not None)
    own = db is None
    state = StateDB(folders.state_db) if db is None else db
    try:
        _queue_run(state, settings, profile, message, now, notified)
        ping = _queue_ping(state, profile, report, message, now)
        if ping:
            notified.queued.append(f"ping: {ping}")
        _queue_overdue(folders, state, settings, now, notified)
        outbox.prune(state, now)
        problem = _write_metrics(folders, settings, state, now)
        waiting = outbox.waiting_channels(state)
    finally:
        if own:
            state.close()
    if problem:
        notified.problems.append(problem)
        log.warning("notify: %s", problem)
    if broken:  # keep the channels' messages until the file is fixed; pings need no file
        waiting = [c for c in waiting if c == "ping"]
    queued.waiting = waiting


def flush_outbox(folders: Folders, *, environ: Mapping[str, str] | None = None) -> list[ChannelResult]:
    """Send whatever waits in the outbox (the app's start); never raises."""
    try:
        settings = load_notifications(folders)
    except ProfileError as error:
        log.warning("notify: %s", error)
        return []
    from engine.notify.delivery import Delivery, deliver

    try:
        return deliver(Delivery(folders, settings, os.environ if environ is None else environ))
    except Exception as error:
        log.warning("notify: the outbox could not be sent: %s", type(error).__name__)
        return []
