"""The two OS schedulers Rearguard registers with: systemd timers (per user or system-wide) and
Windows Task Scheduler (its COM API through ``task_com``; ``schtasks`` to remove and query).

Each backend writes what ``systemd_units`` / ``task_xml`` build, runs the commands through the one
process helper, refuses early (before anything is written) when it cannot work,
and undoes a registration that failed part way. ``os_scheduler`` decides what to register.
"""

from __future__ import annotations

import getpass
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.core.errors import RearguardError, ToolUnavailable, UsageError
from engine.core.folders import HOME_ENV
from engine.core.profiles import Profile
from engine.files.atomic import atomic_write_text
from engine.schedule import systemd_units, task_com, task_xml
from engine.tools.process import ProcessResult, run_process

log = logging.getLogger("rearguard.os_scheduler")
SYSTEMD_USER = "systemd-user"
SYSTEMD_SYSTEM = "systemd-system"
TASK_SCHEDULER = "task-scheduler"
SYSTEM_UNIT_DIR = Path("/etc/systemd/system")
COMMAND_TIMEOUT = 60.0
LINGER_DIR = Path("/var/lib/systemd/linger")

Runner = Callable[[Sequence[str]], ProcessResult]


def _run(argv: Sequence[str]) -> ProcessResult:
    return run_process(argv, timeout=COMMAND_TIMEOUT, log_output=False)


@dataclass
class Registration:
    profile: str
    backend: str
    name: str  # the task path or the timer unit
    installed: str = ""
    wake: bool = False
    notes: list[str] = field(default_factory=list)


def sudo_account() -> tuple[str, Path, int, int] | None:
    """(name, home, uid, gid) of the user who typed ``sudo``, when this runs as root under sudo."""
    user = os.environ.get("SUDO_USER")
    if sys.platform == "win32" or not user or os.geteuid() != 0:
        return None
    try:
        import pwd

        entry = pwd.getpwnam(user)
    except (ImportError, KeyError):
        return None
    return user, Path(entry.pw_dir), entry.pw_uid, entry.pw_gid


@dataclass
class Systemd:
    """systemd timers: per user (``~/.config/systemd/user``) or system-wide (``/etc/systemd/system``)."""

    system: bool = False
    runner: Runner = _run
    unit_dir: Path | None = None
    booted: Callable[[], bool] = lambda: Path("/run/systemd/system").is_dir()
    is_root: Callable[[], bool] = lambda: hasattr(os, "geteuid") and os.geteuid() == 0

    @property
    def backend(self) -> str:
        return SYSTEMD_SYSTEM if self.system else SYSTEMD_USER

    def directory(self) -> Path:
        if self.unit_dir is not None:
            return self.unit_dir
        if self.system:
            return SYSTEM_UNIT_DIR
        base = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
        return Path(base) / "systemd" / "user"

    def _systemctl(self, *args: str) -> list[str]:
        return ["systemctl", *([] if self.system else ["--user"]), *args]

    def check(self) -> None:
        """Refuse early (before anything is written) when systemd cannot take the timer."""
        if not self.booted():
            raise ToolUnavailable(
                "systemd is not running on this machine (a container, or another init system); "
                "use the app's own scheduler, or cron with 'rearguard run PROFILE'"
            )
        if self.system and not self.is_root():
            raise ToolUnavailable(
                "a system-wide timer needs root: run 'sudo rearguard schedule install PROFILE --system'"
            )

    def _call(self, *args: str) -> ProcessResult:
        argv = self._systemctl(*args)
        try:
            result = self.runner(argv)
        except (FileNotFoundError, PermissionError) as error:
            raise ToolUnavailable(f"systemctl cannot be run: {error}") from None
        if not result.ok:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise ToolUnavailable(f"'{' '.join(argv)}' failed: {detail[-1] if detail else result.returncode}")
        return result

    def unit_files(self, profile: Profile, command: Sequence[str], wake: bool) -> dict[Path, str]:
        """The ``.service`` and ``.timer`` files ``install`` writes, by path (``--print`` shows them)."""
        schedule = profile.spec.schedule
        assert schedule is not None
        base = systemd_units.unit_base(profile.name)
        env = {HOME_ENV: os.environ[HOME_ENV]} if os.environ.get(HOME_ENV) else {}
        user = _invoking_user() if self.system else None
        folder = self.directory()
        return {
            folder / f"{base}.service": systemd_units.service_text(
                profile.name, command, environment=env, user=user
            ),
            folder / f"{base}.timer": systemd_units.timer_text(profile.name, schedule, wake=wake),
        }

    def install(self, profile: Profile, command: Sequence[str], wake: bool) -> Registration:
        base = systemd_units.unit_base(profile.name)
        files = self.unit_files(profile, command, wake)
        folder = self.directory()
        written: dict[Path, str | None] = {}  # each file written, and what it held before
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for path, text in files.items():
                written[path] = path.read_text(encoding="utf-8") if path.is_file() else None
                atomic_write_text(path, text)
            self._call("daemon-reload")
            self._call("enable", "--now", f"{base}.timer")
        except (OSError, RearguardError) as error:
            _put_back(written)
            if written:
                try:
                    self.runner(self._systemctl("daemon-reload"))
                except OSError:
                    pass
            if isinstance(error, PermissionError):
                raise ToolUnavailable(f"no rights to write {folder}: {error.strerror}") from None
            if isinstance(error, OSError):
                raise ToolUnavailable(f"could not write the timer in {folder}: {error}") from None
            raise
        notes = []
        if not self.system and not linger_enabled():
            notes.append(LINGER_NOTE)
        return Registration(profile.name, self.backend, f"{base}.timer", wake=wake, notes=notes)

    def remove(self, registration: Registration) -> None:
        base = registration.name.removesuffix(".timer")
        folder = self.directory()
        if self.booted():
            result = self.runner(self._systemctl("disable", "--now", f"{base}.timer"))
            if not result.ok:
                log.info("disable %s: %s", base, result.stderr.strip())
        try:
            for suffix in (".timer", ".service"):
                (folder / f"{base}{suffix}").unlink(missing_ok=True)
        except PermissionError as error:
            raise ToolUnavailable(f"no rights to remove the timer from {folder}: {error.strerror}") from None
        if self.booted():
            self.runner(self._systemctl("daemon-reload"))

    def next_run(self, registration: Registration) -> str:
        if not self.booted():
            return "unknown (systemd is not running)"
        try:
            result = self.runner(
                self._systemctl("show", registration.name, "-p", "NextElapseUSecRealtime", "--value")
            )
        except OSError as error:
            return f"unknown ({error})"
        text = result.stdout.strip()
        return text if result.ok and text else "not scheduled (is the timer enabled?)"


def _put_back(written: dict[Path, str | None]) -> None:
    """Undo a failed install: new files go, files that were there get their old text back."""
    for path, before in written.items():
        try:
            if before is None:
                path.unlink(missing_ok=True)
            else:
                atomic_write_text(path, before)
        except OSError as error:
            log.warning("could not undo %s: %s", path, error)


LINGER_NOTE = (
    "a user timer runs only while you are logged in unless lingering is on: "
    "'loginctl enable-linger' (or install with --system as root)"
)


def linger_enabled(user: str | None = None) -> bool:
    return (LINGER_DIR / (user or _invoking_user())).exists()


def _invoking_user() -> str:
    """The user the runs belong to (under sudo: the one who typed sudo, not root)."""
    return os.environ.get("SUDO_USER") or getpass.getuser()


Registrar = Callable[[task_com.RegisterCall, str | None], None]


@dataclass
class TaskScheduler:
    """Windows Task Scheduler: a task per profile under ``\\Rearguard\\``, registered through its COM
    API (the password never on a command line); ``schtasks`` removes and queries it."""

    system: bool = False  # refused: SYSTEM has its own folders, so it would not share the history
    password: str | None = None  # store the user's password: network shares work
    runner: Runner = _run
    registrar: Registrar = task_com.register

    backend = TASK_SCHEDULER

    def check(self) -> None:
        if self.system:
            raise UsageError(
                "--system is for Linux; on Windows the task runs as you, logged on or not "
                "(add --password when the target is a network share)"
            )

    @property
    def logon(self) -> str:
        return task_xml.LOGON_PASSWORD if self.password else task_xml.LOGON_S4U

    def task_text(self, profile: Profile, command: Sequence[str], wake: bool, user: str | None) -> str:
        """The task XML ``install`` registers (``--print`` shows it)."""
        schedule = profile.spec.schedule
        assert schedule is not None
        return task_xml.task_xml(profile.name, schedule, command, user=user, logon=self.logon, wake=wake)

    def install(self, profile: Profile, command: Sequence[str], wake: bool) -> Registration:
        name = task_xml.task_name(profile.name)
        user = windows_account()
        text = self.task_text(profile, command, wake, user)
        self.registrar(task_com.register_call(name, text, user=user, logon=self.logon), self.password)
        notes = []
        if self.logon == task_xml.LOGON_S4U:
            notes.append(
                "runs without a stored password: local folders only (network shares need --password)"
            )
        if os.environ.get(HOME_ENV):
            notes.append(f"{HOME_ENV} is not passed to the task; the task uses the default folders")
        return Registration(profile.name, TASK_SCHEDULER, name, wake=wake, notes=notes)

    def remove(self, registration: Registration) -> None:
        result = self.runner(["schtasks", "/Delete", "/TN", registration.name, "/F"])
        if not result.ok and "denied" in (result.stderr + result.stdout).lower():
            raise ToolUnavailable(f"no rights to remove {registration.name}; use an administrator prompt")

    def next_run(self, registration: Registration) -> str:
        try:
            result = self.runner(["schtasks", "/Query", "/TN", registration.name, "/FO", "CSV", "/NH"])
        except OSError as error:
            return f"unknown ({error})"
        return parse_schtasks_next_run(result.stdout) if result.ok else "not registered"


def windows_account() -> str:
    """``DOMAIN\\user`` of the account the task runs as (just ``user`` without a domain)."""
    return (os.environ.get("USERDOMAIN", "") + "\\" + getpass.getuser()).lstrip("\\")


def parse_schtasks_next_run(csv_text: str) -> str:
    """The "Next Run Time" of ``schtasks /Query /FO CSV /NH`` (TaskName, Next Run Time, Status)."""
    import csv

    for row in csv.reader(line for line in csv_text.splitlines() if line.strip()):
        if len(row) >= 2:
            return row[1] + (f" ({row[2]})" if len(row) > 2 and row[2] else "")
    return "unknown"


Backend = Systemd | TaskScheduler
