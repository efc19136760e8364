"""Unattended runs: register a profile's schedule with the operating system's scheduler (Windows Task
Scheduler, systemd timers), remove it, and say what is registered.

The definitions come from ``task_xml`` and ``systemd_units`` (pure) and are registered by
``os_backends``; this module chooses what to register, keeps it all-or-nothing, and records
which profiles the OS runs in ``os_schedules.json`` in the data folder, so the app's own scheduler
leaves them alone (only one of the two fires a profile). A registration that fails part way is undone.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.core.errors import ProfileError, RearguardError, ToolUnavailable, UsageError
from engine.core.folders import APP_NAME, HOME_ENV, Folders
from engine.core.profiles import Profile
from engine.files.atomic import atomic_write_text
from engine.schedule import os_backends
from engine.schedule.os_backends import (
    SYSTEMD_SYSTEM,
    SYSTEMD_USER,
    TASK_SCHEDULER,
    Backend,
    Registration,
    Systemd,
    TaskScheduler,
    parse_schtasks_next_run,
)
from engine.tools.bundled import is_frozen

__all__ = [
    "Backend",
    "Registration",
    "Systemd",
    "TaskScheduler",
    "install",
    "parse_schtasks_next_run",
    "remove",
    "status",
]

log = logging.getLogger("rearguard.os_scheduler")
RECORD_FILE = "os_schedules.json"


# -- what runs ------------------------------------------------------------------------------------


def command_argv(profile_name: str) -> list[str]:
    """``rearguard run --scheduled PROFILE``, absolute: the console exe when packaged, else Python.

    ``--scheduled`` makes the run honour the profile's time window: a task that fires outside it
    does nothing and exits 0; one that runs into the window's end stops there (exit 6).
    """
    if is_frozen():
        exe = Path(sys.executable)
        cli = exe.with_name("rearguard-cli" + exe.suffix)
        return [str(cli if cli.exists() else exe), "run", "--scheduled", profile_name]
    return [sys.executable, "-m", "engine", "run", "--scheduled", profile_name]


def backend_label(backend: str) -> str:
    """How the window and ``status`` name the OS scheduler."""
    return "Task Scheduler" if backend == TASK_SCHEDULER else "systemd"


# -- the record of what is registered -------------------------------------------------------------


def record_path(folders: Folders) -> Path:
    return folders.data / RECORD_FILE


def load_registrations(folders: Folders) -> dict[str, Registration]:
    """The profiles the OS scheduler runs (an unreadable record counts as none, with a warning)."""
    path = record_path(folders)
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        log.warning("%s could not be read (%s)", path, error)
        return {}
    found: dict[str, Registration] = {}
    for name, item in (raw.get("profiles", {}) if isinstance(raw, dict) else {}).items():
        if isinstance(item, dict) and isinstance(item.get("backend"), str):
            found[str(name)] = Registration(
                profile=str(name),
                backend=item["backend"],
                name=str(item.get("name", "")),
                installed=str(item.get("installed", "")),
                wake=bool(item.get("wake", False)),
            )
    return found


def os_scheduled(folders: Folders) -> dict[str, str]:
    """Profile name -> "Task Scheduler" / "systemd" for every profile the OS scheduler runs."""
    return {name: backend_label(reg.backend) for name, reg in load_registrations(folders).items()}


def folders_for_invoking_user(folders: Folders) -> Folders:
    """Under ``sudo`` (for ``--system``) the profiles, history and record are the invoking user's.

    The system timer runs as that user, and the window that reads the record runs as that user
    too, so root's own folders would be the wrong ones. ``REARGUARD_HOME``, when kept, wins.
    """
    account = os_backends.sudo_account()
    if account is None or os.environ.get(HOME_ENV):
        return folders
    home = account[1]
    return Folders(
        profiles=home / ".config" / APP_NAME / "profiles",
        data=home / ".local" / "share" / APP_NAME,
        logs=home / ".local" / "state" / APP_NAME / "log",
    )


def _save_registrations(folders: Folders, registrations: dict[str, Registration]) -> None:
    data = {
        "profiles": {
            name: {"backend": r.backend, "name": r.name, "installed": r.installed, "wake": r.wake}
            for name, r in sorted(registrations.items())
        }
    }
    folders.data.mkdir(parents=True, exist_ok=True)
    atomic_write_text(record_path(folders), json.dumps(data, indent=2) + "\n")
    account = os_backends.sudo_account()
    # Written by root under sudo: the user's window must keep it writable.
    if account is not None and sys.platform != "win32":
        try:
            os.chown(record_path(folders), account[2], account[3])
        except OSError as error:
            log.warning("could not give %s back to %s: %s", record_path(folders), account[0], error)


def default_backend(
    system: bool = False, password: str | None = None, platform: str = sys.platform
) -> Backend:
    if platform == "win32":
        return TaskScheduler(system=system, password=password)
    if platform.startswith("linux"):
        return Systemd(system=system)
    raise ToolUnavailable(f"running with nobody logged in is not supported on {platform} yet")


def backend_for(registration: Registration) -> Backend:
    if registration.backend == TASK_SCHEDULER:
        return TaskScheduler()
    return Systemd(system=registration.backend == SYSTEMD_SYSTEM)


# -- the operations -------------------------------------------------------------------------------


def _require_schedule(profile: Profile) -> None:
    if profile.spec.schedule is None:
        raise ProfileError(
            profile.name, ['has no [schedule]; add one (every = "1d", at = "02:00") before installing']
        )


def install(
    folders: Folders,
    profiles: Sequence[Profile],
    backend: Backend,
    *,
    wake: bool = False,
    command: Callable[[str], list[str]] = command_argv,
) -> list[Registration]:
    """Register each profile; on any failure the ones registered by this call are removed again."""
    if not profiles:
        raise UsageError("no profile with a [schedule] to install")
    for profile in profiles:
        _require_schedule(profile)
    backend.check()
    records = load_registrations(folders)
    previous = dict(records)
    done: list[Registration] = []
    try:
        for profile in profiles:
            registration = backend.install(profile, command(profile.name), wake)
            if profile.spec.schedule is not None and profile.spec.schedule.max_runs:
                registration.notes.append("max_runs is not counted by the OS scheduler: it runs on and on")
            registration.installed = datetime.now(UTC).isoformat(timespec="seconds")
            done.append(registration)
        replaced = [previous[r.profile] for r in done if r.profile in previous]
        for registration in done:
            records[registration.profile] = registration
        _save_registrations(folders, records)
    except BaseException:
        for registration in done:
            before = previous.get(registration.profile)
            if before is not None and (before.backend, before.name) == (
                registration.backend,
                registration.name,
            ):
                continue  # was registered before this call: it stays (now with the new times)
            try:
                backend.remove(registration)
            except (OSError, RearguardError) as error:
                log.warning("could not undo %s: %s", registration.name, error)
        raise
    for old in replaced:
        # Moved to another scheduler (say, user timer -> system timer): drop the old one.
        if (old.backend, old.name) != (records[old.profile].backend, records[old.profile].name):
            try:
                backend_for(old).remove(old)
            except (OSError, RearguardError) as error:
                log.warning("could not remove the earlier %s: %s", old.name, error)
    return done


def remove(folders: Folders, names: Sequence[str], backend: Backend | None = None) -> list[Registration]:
    """Unregister the named profiles (each from the scheduler it was registered with)."""
    records = load_registrations(folders)
    missing = [name for name in names if name not in records]
    if missing:
        known = ", ".join(sorted(records)) or "none"
        raise UsageError(f"not registered with the OS scheduler: {', '.join(missing)} (registered: {known})")
    removed = []
    for name in names:
        registration = records[name]
        (backend or backend_for(registration)).remove(registration)
        del records[name]
        _save_registrations(folders, records)
        removed.append(registration)
    return removed


@dataclass
class Status:
    registration: Registration
    next_run: str
    notes: list[str]

    def as_json(self) -> dict[str, object]:
        r = self.registration
        return {
            "profile": r.profile,
            "scheduler": backend_label(r.backend),
            "backend": r.backend,
            "name": r.name,
            "installed": r.installed,
            "wake": r.wake,
            "next_run": self.next_run,
            "notes": self.notes,
        }


def status(folders: Folders, backend: Callable[[Registration], Backend] = backend_for) -> list[Status]:
    """Each registered profile, when it runs next, and what the user should know about it."""
    found = []
    for registration in load_registrations(folders).values():
        notes = []
        if registration.backend == SYSTEMD_USER and not os_backends.linger_enabled():
            notes.append(os_backends.LINGER_NOTE)
        found.append(Status(registration, backend(registration).next_run(registration), notes))
    return found
