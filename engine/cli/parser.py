"""The command line's grammar: every command, argument and flag of the CLI contract, and ``--every``."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any, NoReturn

from engine import __version__
from engine.core import errors
from engine.core.durations import MIN_SCHEDULE_INTERVAL, parse_duration


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise errors.UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rearguard",
        description="Dependable backups: Revit Server models, "
        "rclone remotes and folder mirrors, from saved profiles.",
    )
    parser.add_argument("--version", action="version", version=f"rearguard {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="run a profile (by name or path to a .toml file)")
    run.add_argument("profile", metavar="PROFILE")
    _add_run_flags(run)
    run.add_argument(
        "--repeat",
        action="store_true",
        help="keep running on an interval (--every, or the profile's schedule)",
    )
    run.add_argument(
        "--scheduled",
        action="store_true",
        help="started by a schedule: honour the profile's [schedule] window (outside it: do nothing, exit 0)",
    )

    verify = sub.add_parser("verify", help="read a profile's backup back and compare it with the source")
    verify.add_argument("profile", metavar="PROFILE")
    verify.add_argument("--full", action="store_true", help="read everything, not a sample")
    verify.add_argument(
        "--repair", action="store_true", help="copy again what differs or is missing (old copy kept)"
    )
    verify.add_argument("--json", action="store_true", help="print the report as JSON")

    lst = sub.add_parser("list", help="list the profiles")
    lst.add_argument("--json", action="store_true", help="print one JSON object")

    show = sub.add_parser("show", help="show a profile and its recent runs")
    show.add_argument("profile", metavar="PROFILE")
    show.add_argument("--json", action="store_true", help="print one JSON object")

    chk = sub.add_parser("check", help="validate a profile and report every problem")
    chk.add_argument("profile", metavar="PROFILE")

    mirror = sub.add_parser("mirror", help="mirror SOURCE to REPLICA without a profile")
    mirror.add_argument("source", metavar="SOURCE")
    mirror.add_argument("replica", metavar="REPLICA")
    mirror.add_argument("--log-dir", metavar="DIR", help="write the daily log files here")
    _add_run_flags(mirror)

    sub.add_parser("gui", help="open the window (needs the full app: run 'rearguard gui')")
    _add_schedule_parser(sub)
    _add_notify_parser(sub)
    return parser


def _add_notify_parser(sub: Any) -> None:
    notify = sub.add_parser("notify", help="e-mail, webhook and health-check notifications")
    actions = notify.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser, required=True)
    test = actions.add_parser("test", help="send a test message through every configured channel")
    test.add_argument("--json", action="store_true", help="print one JSON object")
    actions.add_parser("password", help="store the SMTP password in the OS keyring (asked, never echoed)")


def _add_schedule_parser(sub: Any) -> None:
    sched = sub.add_parser("schedule", help="run profiles with nobody logged in (Task Scheduler, systemd)")
    actions = sched.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser, required=True)
    install = actions.add_parser("install", help="register PROFILE (or --all) with the OS scheduler")
    remove = actions.add_parser("remove", help="unregister PROFILE (or --all)")
    for action in (install, remove):
        action.add_argument("profile", metavar="PROFILE", nargs="?")
        action.add_argument("--all", action="store_true", help="every profile with a [schedule]")
    install.add_argument(
        "--system", action="store_true", help="Linux: a system-wide timer, run as you (use sudo)"
    )
    install.add_argument("--wake", action="store_true", help="wake the computer for a run")
    install.add_argument(
        "--password", action="store_true", help="Windows: store your password (network shares)"
    )
    install.add_argument(
        "--print",
        action="store_true",
        dest="print_only",
        help="print what would be registered (systemd units, Task Scheduler XML); register nothing",
    )
    install.add_argument(
        "--platform",
        choices=("linux", "windows"),
        help="with --print: show that platform's form (default: this machine's)",
    )
    status = actions.add_parser("status", help="list what the OS scheduler runs and when")
    status.add_argument("--json", action="store_true", help="print one JSON object")


def _add_run_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="show what would be done, change nothing")
    parser.add_argument("--json", action="store_true", help="print the report (or plan) as JSON")
    parser.add_argument(
        "--every", metavar="DURATION", help="repeat every DURATION ('30m', '4h' or hours '0.5'; at least 15m)"
    )
    parser.add_argument("--max", type=int, metavar="N", help="stop after N runs (with --every)")
    parser.add_argument(
        "--pause-file",
        metavar="FILE",
        help="pause the run while FILE exists (Ctrl+Z pauses too; 'fg' resumes)",
    )


def interval(text: str) -> timedelta:
    try:
        interval = parse_duration(text)
    except ValueError as error:
        raise errors.UsageError(f"--every: {error}") from None
    if interval < MIN_SCHEDULE_INTERVAL:
        raise errors.UsageError(f"--every: {text!r} is too short; the least is 15 minutes ('15m')")
    return interval
