"""``rearguard schedule install|remove|status``: bad input is exit 2, no scheduler is exit 5, and
nothing is left registered after a refusal. (Registration itself is covered with a faked
systemctl/schtasks in tests/engine/test_os_schedule.py; no real timer is created here.)"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import CLI, write_profile

SYSTEMD_RUNNING = Path("/run/systemd/system").is_dir()


def _profiles(home: Path, tmp_path: Path) -> None:
    body = (
        f"[mirror]\nsource = '{tmp_path / 'src'}'\nreplica = '{tmp_path / 'rep'}'\n"  # literal: Windows paths
    )
    write_profile(home, "night", f'kind = "mirror"\n[schedule]\nevery = "1d"\nat = "02:00"\n{body}')
    write_profile(home, "manual", f'kind = "mirror"\n{body}')


def test_a_profile_without_schedule_is_exit_2_naming_it(cli: CLI, home: Path, tmp_path: Path) -> None:
    _profiles(home, tmp_path)
    result = cli("schedule", "install", "manual")
    assert result.code == 2 and "manual" in result.err and "[schedule]" in result.err
    assert len(result.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [
        ["schedule"],
        ["schedule", "install"],
        ["schedule", "install", "night", "--all"],
        ["schedule", "remove", "night"],  # not registered
        ["schedule", "install", "nosuch"],
    ],
)
def test_bad_schedule_arguments_are_exit_2(cli: CLI, home: Path, tmp_path: Path, args: list[str]) -> None:
    _profiles(home, tmp_path)
    result = cli(*args)
    assert result.code == 2, result.err
    assert result.err.startswith("rearguard: ") and "Traceback" not in result.err


@pytest.mark.skipif(
    SYSTEMD_RUNNING or not sys.platform.startswith("linux"), reason="would register a real timer"
)
def test_without_systemd_install_is_exit_5_and_nothing_is_left(cli: CLI, home: Path, tmp_path: Path) -> None:
    _profiles(home, tmp_path)
    config = tmp_path / "xdg"
    result = cli("schedule", "install", "--all", env={"XDG_CONFIG_HOME": str(config)})
    assert result.code == 5 and "systemd is not running" in result.err
    assert not config.exists()
    status = cli("schedule", "status", "--json")
    assert status.code == 0 and status.json() == {"schedules": []}


def test_status_lists_and_remove_forgets_a_registration(cli: CLI, home: Path, tmp_path: Path) -> None:
    _profiles(home, tmp_path)
    record = {"profiles": {"night": {"backend": "systemd-user", "name": "rearguard-night.timer"}}}
    (home / "data").mkdir(parents=True, exist_ok=True)
    (home / "data" / "os_schedules.json").write_text(json.dumps(record))
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    status = cli("schedule", "status", "--json", env=env)
    assert status.code == 0, status.err
    [entry] = status.json()["schedules"]
    assert entry["profile"] == "night" and entry["scheduler"] == "systemd" and entry["next_run"]
    text = cli("schedule", "status", env=env)
    assert "night" in text.out and "systemd" in text.out
    removed = cli("schedule", "remove", "--all", env=env)
    assert removed.code == 0 and "night: removed rearguard-night.timer" in removed.out
    assert cli("schedule", "status", "--json", env=env).json() == {"schedules": []}


def test_install_print_shows_the_units_and_registers_nothing(cli: CLI, home: Path, tmp_path: Path) -> None:
    _profiles(home, tmp_path)
    config = tmp_path / "xdg"
    result = cli(
        "schedule", "install", "night", "--print", "--platform", "linux", env={"XDG_CONFIG_HOME": str(config)}
    )
    assert result.code == 0, result.err
    assert f"# {config / 'systemd' / 'user' / 'rearguard-night.service'}\n" in result.out
    assert "ExecStart=" in result.out and "run --scheduled night" in result.out
    assert "OnCalendar=*-*-* 02:00:00\n" in result.out and "Persistent=true" in result.out
    assert not config.exists()
    assert cli("schedule", "status", "--json").json() == {"schedules": []}


def test_install_print_for_windows_is_the_task_xml(cli: CLI, home: Path, tmp_path: Path) -> None:
    from tests.fakes import task_scheduler

    _profiles(home, tmp_path)
    result = cli("schedule", "install", "night", "--print", "--platform", "windows", "--wake", "--password")
    assert result.code == 0, result.err
    assert result.out.startswith(
        '<?xml version="1.0" encoding="UTF-16"?>\n<!-- Task Scheduler task \\Rearguard\\night -->'
    )
    xml = result.out.replace("<!-- Task Scheduler task \\Rearguard\\night -->\n", "")
    assert task_scheduler.schema_problems(xml) == []
    assert "<LogonType>Password</LogonType>" in xml and "<WakeToRun>true</WakeToRun>" in xml
    assert "rearguard-cli.exe</Command>" in xml and "<Arguments>run --scheduled night</Arguments>" in xml
    assert cli("schedule", "status", "--json").json() == {"schedules": []}


def test_a_schedule_the_os_cannot_keep_is_exit_2_naming_what_works(
    cli: CLI, home: Path, tmp_path: Path
) -> None:
    body = f"[mirror]\nsource = '{tmp_path / 'src'}'\nreplica = '{tmp_path / 'rep'}'\n"
    write_profile(home, "odd", f'kind = "mirror"\n[schedule]\nevery = "25h"\n{body}')
    for args in (["check", "odd"], ["schedule", "install", "odd", "--print"]):
        result = cli(*args)
        assert result.code == 2, (args, result.err)
        assert (
            "[schedule].every: '25h'" in result.err and "'1d' to '7d'" in result.err and "'36h'" in result.err
        )
        assert "Traceback" not in result.err


def test_platform_needs_print(cli: CLI, home: Path, tmp_path: Path) -> None:
    _profiles(home, tmp_path)
    result = cli("schedule", "install", "night", "--platform", "windows")
    assert result.code == 2 and "--print" in result.err
