"""Unattended runs: the systemd units and Task Scheduler XML a profile's schedule becomes, and
registering/removing them (the system commands replaced by a recording fake; systemd itself
checks the unit files where ``systemd-analyze`` is installed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest

from engine.core.errors import ProfileError, ToolUnavailable, UsageError
from engine.core.folders import Folders, app_folders
from engine.core.profiles import Profile, Schedule, parse_profile_text
from engine.schedule import os_backends, os_scheduler, systemd_units, task_com, task_xml
from engine.tools.process import ProcessResult

NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
NAMES = ["night", "Project share", "a-b_c.d", "ops@nas+1", ".hidden", "Café 2"]


def _profile(name: str, schedule: str | None = 'every = "4h"\nat = "02:30"') -> Profile:
    text = 'kind = "mirror"\n'
    if schedule:
        text += f"[schedule]\n{schedule}\n"
    text += '[mirror]\nsource = "/tmp/src"\nreplica = "/tmp/dst"\n'
    return parse_profile_text(text, name)


class FakeRunner:
    """Records every command; fails the ones whose argv contains a word in ``fail``."""

    def __init__(self, fail: Sequence[str] = (), stderr: str = "boom", stdout: str = "") -> None:
        self.calls: list[list[str]] = []
        self.fail = list(fail)
        self.stderr = stderr
        self.stdout = stdout

    def __call__(self, argv: Sequence[str]) -> ProcessResult:
        self.calls.append(list(argv))
        failed = any(word in argv for word in self.fail)
        return ProcessResult(
            list(argv), 1 if failed else 0, stdout=self.stdout, stderr=self.stderr if failed else ""
        )


# -- systemd: pure builders ----------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("systemd-escape") is None, reason="systemd-escape not installed")
@pytest.mark.parametrize("name", NAMES)
def test_unit_names_escape_as_systemd_does(name: str) -> None:
    expected = subprocess.run(["systemd-escape", name], capture_output=True, text=True, check=True)
    assert systemd_units.escape(name) == expected.stdout.strip()


def test_unit_names_known_cases() -> None:
    assert systemd_units.unit_base("night") == "rearguard-night"
    assert systemd_units.escape("Project share") == r"Project\x20share"
    assert systemd_units.escape("a-b") == r"a\x2db"
    assert systemd_units.escape(".x") == r"\x2ex"


@pytest.mark.parametrize(
    ("every", "at", "lines"),
    [
        ("4h", "02:30", ["OnCalendar=*-*-* 02,06,10,14,18,22:30:00"]),
        ("4h", None, ["OnCalendar=*-*-* 00,04,08,12,16,20:00:00"]),
        ("15m", "02:05", ["OnCalendar=*-*-* *:05/15:00"]),
        ("1h", "02:05", ["OnCalendar=*-*-* *:05:00"]),
        ("1d", "23:00", ["OnCalendar=*-*-* 23:00:00"]),
        ("5h", "02:00", ["OnCalendar=*-*-* 02,07,12,17,22:00:00"]),  # restarts at 'at' each day
        (
            "90m",
            "00:00",
            [
                "OnCalendar=*-*-* 00,03,06,09,12,15,18,21:00:00",
                "OnCalendar=*-*-* 01,04,07,10,13,16,19,22:30:00",
            ],
        ),
    ],
)
def test_timer_fires_at_the_profiles_slots(every: str, at: str | None, lines: list[str]) -> None:
    assert systemd_units.timer_schedule_lines(Schedule(every=every, at=at)) == lines


def test_timer_catches_up_and_may_wake() -> None:
    text = systemd_units.timer_text("night", Schedule(every="1d", at="02:00"), wake=True)
    assert "Persistent=true\n" in text and "WakeSystem=true\n" in text
    assert "WantedBy=timers.target" in text
    assert "WakeSystem" not in systemd_units.timer_text("night", Schedule(every="1d"))


def test_service_runs_the_profile_with_its_home() -> None:
    text = systemd_units.service_text(
        "Project share",
        ["/opt/Rear Guard/rearguard-cli", "run", "--scheduled", "Project share"],
        environment={"REARGUARD_HOME": "/srv/rearguard 100%"},
        user="backup",
    )
    assert "Type=oneshot\n" in text and "User=backup\n" in text
    assert 'ExecStart="/opt/Rear Guard/rearguard-cli" run --scheduled "Project share"\n' in text
    assert 'Environment="REARGUARD_HOME=/srv/rearguard 100%%"\n' in text


SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze not installed")
@pytest.mark.parametrize("every", ["15m", "1h", "4h", "5h", "90m", "1d", "2d"])
def test_calendar_expressions_are_valid_for_systemd(every: str) -> None:
    for line in systemd_units.timer_schedule_lines(Schedule(every=every, at="02:05")):
        spec = line.removeprefix("OnCalendar=")
        result = subprocess.run([str(SYSTEMD_ANALYZE), "calendar", spec], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze not installed")
@pytest.mark.parametrize("mode", ["--system", "--user"])
@pytest.mark.parametrize("name", ["night", "Project share", "ops@nas+1"])
def test_systemd_accepts_the_unit_files(tmp_path: Path, name: str, mode: str) -> None:
    base = systemd_units.unit_base(name)
    runtime = tmp_path / "runtime"  # a user manager needs one, even only to verify
    runtime.mkdir(mode=0o700)
    argv = [sys.executable, "-m", "engine", "run", "--scheduled", name]
    service = systemd_units.service_text(name, argv, environment={"REARGUARD_HOME": str(tmp_path / "h m")})
    (tmp_path / f"{base}.service").write_text(service)
    (tmp_path / f"{base}.timer").write_text(systemd_units.timer_text(name, Schedule(every="90m"), wake=True))
    result = subprocess.run(
        [str(SYSTEMD_ANALYZE), mode, "verify", f"./{base}.timer", f"./{base}.service"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)},
    )
    assert result.returncode == 0, result.stderr
    assert "Failed" not in result.stderr and "bad" not in result.stderr.lower(), result.stderr


# -- Task Scheduler: pure builder ----------------------------------------------------------------


def _task(schedule: Schedule, **kw: object) -> ET.Element:
    text = task_xml.task_xml(
        "Project share",
        schedule,
        [r"C:\Program Files\Rearguard\rearguard-cli.exe", "run", "--scheduled", "Project share"],
        start_day=date(2026, 11, 27),
        **kw,  # type: ignore[arg-type]
    )
    assert text.startswith('<?xml version="1.0" encoding="UTF-16"?>')
    return ET.fromstring(text.split("\n", 1)[1])


def test_task_runs_logged_on_or_not_without_overlap_and_catches_up() -> None:
    root = _task(Schedule(every="4h", at="02:30"), user=r"OFFICE\it")
    settings = root.find("t:Settings", NS)
    assert settings is not None
    assert settings.findtext("t:MultipleInstancesPolicy", namespaces=NS) == "IgnoreNew"
    assert settings.findtext("t:StartWhenAvailable", namespaces=NS) == "true"
    assert settings.findtext("t:WakeToRun", namespaces=NS) == "false"
    assert settings.findtext("t:DisallowStartIfOnBatteries", namespaces=NS) == "false"
    assert settings.findtext("t:ExecutionTimeLimit", namespaces=NS) == "PT0S"
    principal = root.find("t:Principals/t:Principal", NS)
    assert principal is not None
    assert principal.findtext("t:LogonType", namespaces=NS) == "S4U"
    assert principal.findtext("t:UserId", namespaces=NS) == r"OFFICE\it"
    trigger = root.find("t:Triggers/t:CalendarTrigger", NS)
    assert trigger is not None
    assert trigger.findtext("t:StartBoundary", namespaces=NS) == "2026-11-27T02:30:00"
    assert trigger.findtext("t:Repetition/t:Interval", namespaces=NS) == "PT4H"
    assert trigger.findtext("t:Repetition/t:Duration", namespaces=NS) == "P1D"
    assert trigger.findtext("t:ScheduleByDay/t:DaysInterval", namespaces=NS) == "1"
    exec_ = root.find("t:Actions/t:Exec", NS)
    assert exec_ is not None
    assert exec_.findtext("t:Command", namespaces=NS) == r"C:\Program Files\Rearguard\rearguard-cli.exe"
    assert exec_.findtext("t:Arguments", namespaces=NS) == 'run --scheduled "Project share"'
    assert root.findtext("t:RegistrationInfo/t:URI", namespaces=NS) == r"\Rearguard\Project share"


def test_task_every_few_days_wake_and_system_account() -> None:
    root = _task(Schedule(every="2d"), logon=task_xml.LOGON_SYSTEM, wake=True)
    trigger = root.find("t:Triggers/t:CalendarTrigger", NS)
    assert trigger is not None and trigger.find("t:Repetition", NS) is None
    assert trigger.findtext("t:ScheduleByDay/t:DaysInterval", namespaces=NS) == "2"
    # The first of the schedule's days (even days from 2001-01-01) on or after the install day.
    assert trigger.findtext("t:StartBoundary", namespaces=NS) == "2026-11-28T00:00:00"
    assert root.findtext("t:Settings/t:WakeToRun", namespaces=NS) == "true"
    assert root.findtext("t:Principals/t:Principal/t:UserId", namespaces=NS) == "S-1-5-18"


def test_task_durations_and_names() -> None:
    assert task_xml.iso_duration(Schedule(every="90m").interval) == "PT1H30M"
    assert task_xml.iso_duration(Schedule(every="1d").interval) == "P1D"
    assert task_xml.task_name("a:b") == r"\Rearguard\a_b"


# -- registering ---------------------------------------------------------------------------------


@pytest.fixture
def folders(home: Path) -> Folders:
    return app_folders().create()


def _systemd(tmp_path: Path, runner: FakeRunner, **kw: object) -> os_scheduler.Systemd:
    return os_scheduler.Systemd(runner=runner, unit_dir=tmp_path / "units", booted=lambda: True, **kw)  # type: ignore[arg-type]


def test_install_writes_enables_records_and_remove_undoes(folders: Folders, tmp_path: Path) -> None:
    runner = FakeRunner()
    backend = _systemd(tmp_path, runner)
    done = os_scheduler.install(
        folders, [_profile("night")], backend, command=lambda n: ["/x/rearguard-cli", "run", "--scheduled", n]
    )
    assert [r.name for r in done] == ["rearguard-night.timer"]
    assert (tmp_path / "units" / "rearguard-night.service").is_file()
    assert ["systemctl", "--user", "enable", "--now", "rearguard-night.timer"] in runner.calls
    assert os_scheduler.os_scheduled(folders) == {"night": "systemd"}
    os_scheduler.remove(folders, ["night"], backend)
    assert not list((tmp_path / "units").iterdir())
    assert ["systemctl", "--user", "disable", "--now", "rearguard-night.timer"] in runner.calls
    assert os_scheduler.os_scheduled(folders) == {}


def test_a_failed_enable_leaves_nothing_behind(folders: Folders, tmp_path: Path) -> None:
    runner = FakeRunner(fail=["enable"], stderr="Failed to connect to bus")
    with pytest.raises(ToolUnavailable, match="Failed to connect to bus"):
        os_scheduler.install(folders, [_profile("night")], _systemd(tmp_path, runner))
    assert not list((tmp_path / "units").iterdir())
    assert os_scheduler.load_registrations(folders) == {}


def test_all_or_nothing_across_profiles(folders: Folders, tmp_path: Path) -> None:
    class FailSecond(FakeRunner):
        def __call__(self, argv: Sequence[str]) -> ProcessResult:
            if "enable" in argv and "rearguard-b.timer" in argv:
                self.calls.append(list(argv))
                return ProcessResult(list(argv), 1, stderr="no")
            return super().__call__(argv)

    runner = FailSecond()
    with pytest.raises(ToolUnavailable):
        os_scheduler.install(folders, [_profile("a"), _profile("b")], _systemd(tmp_path, runner))
    assert ["systemctl", "--user", "disable", "--now", "rearguard-a.timer"] in runner.calls
    assert not list((tmp_path / "units").iterdir())
    assert os_scheduler.load_registrations(folders) == {}


def test_no_schedule_no_systemd_no_root_are_refused_before_writing(folders: Folders, tmp_path: Path) -> None:
    runner = FakeRunner()
    with pytest.raises(ProfileError, match=r"manual: has no \[schedule\]"):
        os_scheduler.install(folders, [_profile("manual", None)], _systemd(tmp_path, runner))
    down = os_scheduler.Systemd(runner=runner, unit_dir=tmp_path / "units", booted=lambda: False)
    with pytest.raises(ToolUnavailable, match="systemd is not running"):
        os_scheduler.install(folders, [_profile("night")], down)
    system = _systemd(tmp_path, runner, system=True, is_root=lambda: False)
    with pytest.raises(ToolUnavailable, match="needs root"):
        os_scheduler.install(folders, [_profile("night")], system)
    assert runner.calls == [] and not (tmp_path / "units").exists()


def test_unwritable_unit_folder_is_exit_5(folders: Folders, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    backend = os_scheduler.Systemd(runner=FakeRunner(), unit_dir=blocker / "units", booted=lambda: True)
    with pytest.raises(ToolUnavailable):
        os_scheduler.install(folders, [_profile("night")], backend)


def test_status_reports_the_next_run(folders: Folders, tmp_path: Path) -> None:
    runner = FakeRunner(stdout="Fri 2026-11-27 02:30:00 UTC\n")
    backend = _systemd(tmp_path, runner)
    os_scheduler.install(folders, [_profile("night")], backend)
    found = os_scheduler.status(folders, backend=lambda reg: backend)
    assert found[0].next_run == "Fri 2026-11-27 02:30:00 UTC"
    assert found[0].as_json()["scheduler"] == "systemd"


class FakeRegistrar:
    """Stands in for the COM call: records what would be registered and the password it got."""

    def __init__(self, error: str | None = None) -> None:
        self.calls: list[tuple[task_com.RegisterCall, str | None]] = []
        self.error = error

    def __call__(self, call: task_com.RegisterCall, password: str | None) -> None:
        self.calls.append((call, password))
        if self.error:
            raise ToolUnavailable(self.error)


def test_task_scheduler_registration(folders: Folders) -> None:
    runner, registrar = FakeRunner(), FakeRegistrar()
    backend = os_scheduler.TaskScheduler(runner=runner, registrar=registrar)
    done = os_scheduler.install(folders, [_profile("night")], backend, wake=True)
    [(call, password)] = registrar.calls
    assert (call.folder, call.name, call.flags) == ("\\Rearguard", "night", task_com.TASK_CREATE_OR_UPDATE)
    assert call.logon_type == task_com.TASK_LOGON_S4U and password is None
    assert "<WakeToRun>true</WakeToRun>" in call.xml
    assert runner.calls == []  # nothing on a command line
    assert os_scheduler.os_scheduled(folders) == {"night": "Task Scheduler"}
    assert done[0].notes  # S4U: says network shares need a stored password


def test_the_windows_password_goes_to_the_com_call_only(folders: Folders) -> None:
    runner, registrar = FakeRunner(), FakeRegistrar()
    backend = os_scheduler.TaskScheduler(password="s3cret pass", runner=runner, registrar=registrar)
    os_scheduler.install(folders, [_profile("night")], backend)
    [(call, password)] = registrar.calls
    assert password == "s3cret pass" and call.logon_type == task_com.TASK_LOGON_PASSWORD
    assert "s3cret" not in repr(call) and "s3cret" not in call.xml
    assert "<LogonType>Password</LogonType>" in call.xml
    assert all("s3cret pass" not in arg for argv in runner.calls for arg in argv)


def test_task_scheduler_access_denied_is_exit_5(folders: Folders) -> None:
    message = task_com.describe_failure(task_com.E_ACCESSDENIED, "Access is denied.")
    backend = os_scheduler.TaskScheduler(password="secret", registrar=FakeRegistrar(error=message))
    with pytest.raises(ToolUnavailable, match="administrator") as caught:
        os_scheduler.install(folders, [_profile("night")], backend)
    assert caught.value.exit_code == 5
    assert os_scheduler.load_registrations(folders) == {}


def test_com_registration_arguments_and_errors() -> None:
    call = task_com.register_call(r"\Rearguard\Project share", "<Task/>", user=r"OFFICE\it", logon="S4U")
    assert (call.folder, call.name, call.user) == (r"\Rearguard", "Project share", r"OFFICE\it")
    system = task_com.register_call(r"\Rearguard\n", "<Task/>", user=None, logon="ServiceAccount")
    assert system.logon_type == task_com.TASK_LOGON_SERVICE_ACCOUNT
    assert "password" in task_com.describe_failure(
        task_com.LOGON_FAILURE, "The user name or password is incorrect"
    )
    assert "0x80041318" in task_com.describe_failure(-2147216616, "odd")
    error = Exception(-2147352567, "Exception occurred.", (0, None, "Bad XML.", None, 0, -2147216614), None)
    assert task_com._com_error_parts(error) == (task_com.SCHED_E_MALFORMEDXML, "Bad XML.")


@pytest.mark.skipif(sys.platform == "win32", reason="on Windows the real COM call would run")
def test_com_registration_is_windows_only() -> None:
    with pytest.raises(ToolUnavailable, match="only on Windows"):
        task_com.register(task_com.register_call(r"\Rearguard\n", "<Task/>", user=None, logon="S4U"), None)


def test_schtasks_next_run_is_read_from_csv() -> None:
    text = '"\\Rearguard\\night","27/11/2026 02:30:00","Ready"\n'
    assert os_scheduler.parse_schtasks_next_run(text) == "27/11/2026 02:30:00 (Ready)"


def test_windows_system_account_is_refused_before_anything(folders: Folders) -> None:
    runner = FakeRunner()
    with pytest.raises(UsageError, match="--system is for Linux"):
        os_scheduler.install(
            folders, [_profile("night")], os_scheduler.TaskScheduler(system=True, runner=runner)
        )
    assert runner.calls == []


def test_under_sudo_the_invoking_users_folders_are_used(
    folders: Folders, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os_backends, "sudo_account", lambda: ("it", tmp_path / "it", 1000, 1000))
    assert os_scheduler.folders_for_invoking_user(folders) == folders  # REARGUARD_HOME wins
    monkeypatch.delenv("REARGUARD_HOME")
    mine = os_scheduler.folders_for_invoking_user(folders)
    assert mine.profiles == tmp_path / "it" / ".config" / "Rearguard" / "profiles"
    assert mine.data == tmp_path / "it" / ".local" / "share" / "Rearguard"


def test_a_failed_reinstall_keeps_the_working_timer(folders: Folders, tmp_path: Path) -> None:
    os_scheduler.install(folders, [_profile("night")], _systemd(tmp_path, FakeRunner()))
    timer = tmp_path / "units" / "rearguard-night.timer"
    before = timer.read_text()
    changed = _profile("night", 'every = "1d"\nat = "03:00"')
    with pytest.raises(ToolUnavailable):
        os_scheduler.install(folders, [changed], _systemd(tmp_path, FakeRunner(fail=["enable"])))
    assert timer.read_text() == before
    assert list(os_scheduler.load_registrations(folders)) == ["night"]


def test_moving_from_a_user_to_a_system_timer_drops_the_user_timer(
    folders: Folders, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = FakeRunner()
    user = _systemd(tmp_path, runner)
    os_scheduler.install(folders, [_profile("night")], user)
    system = os_scheduler.Systemd(
        system=True, runner=runner, unit_dir=tmp_path / "etc", booted=lambda: True, is_root=lambda: True
    )
    monkeypatch.setattr(
        os_scheduler, "backend_for", lambda reg: user if reg.backend == "systemd-user" else system
    )
    os_scheduler.install(folders, [_profile("night")], system)
    assert not (tmp_path / "units" / "rearguard-night.timer").exists()
    assert "User=" in (tmp_path / "etc" / "rearguard-night.service").read_text()
    assert os_scheduler.load_registrations(folders)["night"].backend == "systemd-system"


def test_the_os_schedulers_run_the_profile_as_a_scheduled_run() -> None:
    """Tasks and timers call ``run --scheduled``: outside the profile's window they do nothing."""
    from engine.cli.parser import build_parser

    argv = os_scheduler.command_argv("Project share")
    assert argv[-3:] == ["run", "--scheduled", "Project share"]
    parsed = build_parser().parse_args(argv[argv.index("run") :])
    assert parsed.scheduled and parsed.profile == "Project share"


@pytest.mark.skipif(sys.platform != "win32", reason="registers a real task: Windows only (CI's Windows job)")
def test_a_real_task_registers_through_com_and_is_removed(folders: Folders) -> None:
    import uuid

    name = f"rearguard-test-{uuid.uuid4().hex[:8]}"
    profile = _profile(name, 'every = "36h"\nat = "02:00"')
    backend = os_scheduler.TaskScheduler()
    [registration] = os_scheduler.install(folders, [profile], backend)
    try:
        shown = subprocess.run(
            ["schtasks", "/Query", "/TN", registration.name, "/XML"], capture_output=True, text=True
        )
        assert shown.returncode == 0, shown.stderr
        assert (
            shown.stdout.count("<CalendarTrigger>") == 2 and "<DaysInterval>3</DaysInterval>" in shown.stdout
        )
        assert "not registered" not in backend.next_run(registration)
    finally:
        os_scheduler.remove(folders, [name], backend)
    gone = subprocess.run(["schtasks", "/Query", "/TN", registration.name], capture_output=True, text=True)
    assert gone.returncode != 0
