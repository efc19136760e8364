"""The command line: ``rearguard run|list|show|check|mirror``, exactly per the CLI contract.

Every error ends as one readable line on stderr and its exit code; nothing else here prints
a traceback. Qt is never imported on this path.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from engine import __version__
from engine.cli.progress_line import ProgressLine
from engine.core import errors
from engine.core.durations import MIN_SCHEDULE_INTERVAL, format_duration, parse_duration
from engine.core.folders import Folders, app_folders
from engine.core.profiles import MirrorProfile, MirrorSettings, Profile, list_profiles, resolve_profile
from engine.core.runner import RunOutcome, run_profile
from engine.tools.redact import redact

TIME_SCALE_ENV = "REARGUARD_TEST_TIME_SCALE"  # test-only: divides repeat sleeps


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
    return parser


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
    status = actions.add_parser("status", help="list what the OS scheduler runs and when")
    status.add_argument("--json", action="store_true", help="print one JSON object")


def _add_run_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="show what would be done, change nothing")
    parser.add_argument("--json", action="store_true", help="print the report (or plan) as JSON")
    parser.add_argument(
        "--every", metavar="DURATION", help="repeat every DURATION ('30m', '4h' or hours '0.5'; at least 15m)"
    )
    parser.add_argument("--max", type=int, metavar="N", help="stop after N runs (with --every)")


def _interval(text: str) -> timedelta:
    try:
        interval = parse_duration(text)
    except ValueError as error:
        raise errors.UsageError(f"--every: {error}") from None
    if interval < MIN_SCHEDULE_INTERVAL:
        raise errors.UsageError(f"--every: {text!r} is too short; the least is 15 minutes ('15m')")
    return interval


def quick_mirror_profile(source: str, replica: str) -> Profile:
    """A profile for ``rearguard mirror SOURCE REPLICA``; its name is stable per folder pair."""
    src, dst = os.path.abspath(os.path.expanduser(source)), os.path.abspath(os.path.expanduser(replica))
    digest = hashlib.sha1(f"{src}\0{dst}".encode()).hexdigest()[:8]
    # The name becomes file names (lock, log folder): keep it short whatever the replica is called.
    name = f"mirror-{Path(dst).name[:60] or 'replica'}-{digest}"
    spec = MirrorProfile.model_validate(
        {"kind": "mirror", "description": f"{src} -> {dst}", "mirror": {"source": src, "replica": dst}},
        context={"check_overlap": False},
    )
    assert isinstance(spec.mirror, MirrorSettings)
    return Profile(name=name, spec=spec)


class _CancelOnSignal:
    """First Ctrl+C asks the run to stop cleanly; a second one stops at once."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._previous: Any = None

    def __enter__(self) -> threading.Event:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
            if hasattr(signal, "SIGTERM"):
                signal.signal(signal.SIGTERM, self._handle)
        return self.event

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        self.event.set()
        print("\nstopping after the current file… (Ctrl+C again to stop at once)", file=sys.stderr)

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=None))


def _print_outcome(outcome: RunOutcome, profile: Profile, as_json: bool) -> None:
    if as_json:
        _print_json(outcome.as_json(profile.name, profile.kind))
        return
    if outcome.report is not None:
        report = outcome.report
        print(report.summary())
        for warning in report.warnings:
            print(f"  warning: {warning}")
        failures = report.failures
        for item in failures[:20]:
            print(f"  {item.status}: {item.action} {item.path}: {item.message}")
        if len(failures) > 20:
            print(f"  … and {len(failures) - 20} more (see the log)")
        return
    plan = outcome.plan
    if plan is not None:
        for action in plan.actions[:200]:
            print(f"  {action.kind.value:8} {action.path}{'/' if action.is_dir else ''}  {action.bytes} B")
        if len(plan.actions) > 200:
            print(f"  … and {len(plan.actions) - 200} more")
        print(f"{profile.name}: dry run — {len(plan.actions)} action(s), {plan.total_bytes} bytes")
    if outcome.reason:
        print(f"refused: {outcome.reason}")


def _one_run(
    profile: Profile,
    folders: Folders,
    args: argparse.Namespace,
    cancel: threading.Event,
    log_dir: Path | None,
) -> int:
    progress = ProgressLine(enabled=not args.json and sys.stderr.isatty())
    outcome = run_profile(
        profile,
        folders,
        dry_run=args.dry_run,
        reporter=progress,
        cancel=cancel,
        log_dir=log_dir,
        trigger="cli",
    )
    progress.clear()
    _print_outcome(outcome, profile, args.json)
    return outcome.exit_code


def _run(
    profile: Profile,
    folders: Folders,
    args: argparse.Namespace,
    log_dir: Path | None = None,
    repeat: bool = False,
) -> int:
    if args.max is not None and args.max < 1:
        raise errors.UsageError("--max: must be 1 or more")
    every = _interval(args.every) if args.every else None
    if repeat and every is None:
        schedule = profile.spec.schedule
        if schedule is None:
            raise errors.UsageError(
                f"--repeat: profile '{profile.name}' has no [schedule]; give --every DURATION"
            )
        every = schedule.interval
    if (args.max is not None or repeat) and every is None:
        raise errors.UsageError("--max needs --every DURATION (or --repeat with a schedule)")
    if every is not None and args.dry_run:
        raise errors.UsageError("--dry-run cannot repeat; drop --every/--repeat")
    with _CancelOnSignal() as cancel:
        if every is None:
            return _one_run(profile, folders, args, cancel, log_dir)
        return _repeat(profile, folders, args, cancel, log_dir, every)


def _repeat(
    profile: Profile,
    folders: Folders,
    args: argparse.Namespace,
    cancel: threading.Event,
    log_dir: Path | None,
    every: timedelta,
) -> int:
    scale = float(os.environ.get(TIME_SCALE_ENV, "1") or 1)
    worst = errors.EXIT_OK
    count = 0
    while True:
        started = time.monotonic()
        try:
            code = _one_run(profile, folders, args, cancel, log_dir)
        except errors.RunLocked as error:
            if count == 0:
                raise
            # A later slot that finds the profile busy (say, a run started from the window) is
            # skipped; it must not end the repeating schedule.
            print(f"rearguard: this run skipped: {error}", file=sys.stderr)
            code = errors.EXIT_OK
        count += 1
        if code == errors.EXIT_CANCELLED or cancel.is_set():
            return errors.EXIT_CANCELLED
        if code in (errors.EXIT_BAD_INPUT, errors.EXIT_LOCKED):
            return code
        worst = max(worst, code)
        if args.max is not None and count >= args.max:
            return worst
        wait = max(0.0, every.total_seconds() / scale - (time.monotonic() - started))
        if not args.json:
            print(
                f"next run in {format_duration(timedelta(seconds=wait * scale))} "
                f"(run {count + 1}{f' of {args.max}' if args.max else ''}); Ctrl+C stops"
            )
        if cancel.wait(wait):
            return errors.EXIT_CANCELLED


def _list(folders: Folders, as_json: bool) -> int:
    from engine.core.state import StateDB

    entries = list_profiles(folders)
    db = StateDB(folders.state_db) if folders.state_db.exists() else None
    rows: list[dict[str, Any]] = []
    for entry in entries:
        last = db.last_run(entry.name) if db else None
        spec = entry.profile.spec if entry.profile else None
        rows.append(
            {
                "name": entry.name,
                "path": str(entry.path),
                "kind": spec.kind if spec else None,
                "schedule": spec.schedule.every if spec and spec.schedule else None,
                "description": spec.description if spec else "",
                "last_run": {"started": last.started, "status": last.status} if last else None,
                "error": str(entry.error) if entry.error else None,
            }
        )
    if db:
        db.close()
    if as_json:
        _print_json({"profiles_folder": str(folders.profiles), "profiles": rows})
        return errors.EXIT_OK
    if not rows:
        print(f"no profiles yet in {folders.profiles}")
    for row in rows:
        if row["error"]:
            print(f"{row['name']:24} INVALID  {row['error'].splitlines()[0]}")
            continue
        last = row["last_run"]
        last_text = f"last {last['started'][:16]} {last['status']}" if last else "never run"
        every = f"every {row['schedule']}" if row["schedule"] else "manual"
        print(f"{row['name']:24} {row['kind']:7} {every:12} {last_text}")
    return errors.EXIT_OK


def _show(folders: Folders, ref: str, as_json: bool) -> int:
    from engine.core.profiles import dump_profile
    from engine.core.state import StateDB

    profile = resolve_profile(folders, ref)
    runs: list[dict[str, Any]] = []
    if folders.state_db.exists():
        db = StateDB(folders.state_db)
        runs = [
            {
                "started": r.started,
                "finished": r.finished,
                "status": r.status,
                "done": r.done,
                "failed": r.failed,
                "bytes": r.bytes,
                "reason": r.reason,
            }
            for r in db.runs(profile.name, limit=10)
        ]
        db.close()
    if as_json:
        data = {
            "name": profile.name,
            "path": str(profile.path) if profile.path else None,
            "profile": profile.spec.model_dump(),
            "runs": runs,
        }
        print(redact(json.dumps(data, ensure_ascii=False)))
        return errors.EXIT_OK
    print(f"# {profile.name} ({profile.path})")
    print(redact(dump_profile(profile.spec)))
    print("# recent runs" if runs else "# no runs yet")
    for run in runs:
        print(
            f"#   {run['started'][:19]}  {run['status']:11} {run['done']} done, "
            f"{run['failed']} failed" + (f" — {run['reason']}" if run["reason"] else "")
        )
    return errors.EXIT_OK


def _check(folders: Folders, ref: str) -> int:
    profile = resolve_profile(folders, ref)
    schedule = profile.spec.schedule
    when = f"every {schedule.every}" if schedule else "only when asked"
    print(f"{profile.name}: ok ({profile.kind}, runs {when})")
    return errors.EXIT_OK


def _schedule(folders: Folders, args: argparse.Namespace) -> int:
    """``rearguard schedule install|remove|status``: runs by the OS scheduler, logged in or not."""
    from engine.schedule import os_scheduler

    folders = os_scheduler.folders_for_invoking_user(folders)
    if args.action == "status":
        found = os_scheduler.status(folders)
        if args.json:
            _print_json({"schedules": [s.as_json() for s in found]})
            return errors.EXIT_OK
        if not found:
            print("no profile is registered with the OS scheduler ('rearguard schedule install PROFILE')")
        for item in found:
            reg = item.registration
            print(f"{reg.profile:24} {os_scheduler.backend_label(reg.backend):15} next: {item.next_run}")
            for note in item.notes:
                print(f"  note: {note}")
        return errors.EXIT_OK
    if bool(args.profile) == bool(args.all):
        raise errors.UsageError(f"schedule {args.action}: give one PROFILE or --all")
    if args.action == "remove":
        names = sorted(os_scheduler.load_registrations(folders)) if args.all else [args.profile]
        if not names:
            print("no profile is registered with the OS scheduler")
        for reg in os_scheduler.remove(folders, names):
            print(f"{reg.profile}: removed {reg.name}")
        return errors.EXIT_OK
    if args.all:
        profiles = [e.profile for e in list_profiles(folders) if e.profile and e.profile.spec.schedule]
    else:
        profiles = [resolve_profile(folders, args.profile)]
    password = None
    if args.password:
        import getpass

        password = getpass.getpass("Windows password of the account the runs use: ")
    backend = os_scheduler.default_backend(system=args.system, password=password)
    for reg in os_scheduler.install(folders, profiles, backend, wake=args.wake):
        print(f"{reg.profile}: runs via {os_scheduler.backend_label(reg.backend)} ({reg.name})")
        for note in reg.notes:
            print(f"  note: {note}")
    return errors.EXIT_OK


def dispatch(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    folders = app_folders()
    if args.command is None:
        build_parser().print_help()
        return errors.EXIT_OK
    if args.command == "gui":
        raise errors.UsageError("the window is started by the 'rearguard' program, not by 'python -m engine'")
    if args.command == "list":
        return _list(folders, args.json)
    if args.command == "show":
        return _show(folders, args.profile, args.json)
    if args.command == "check":
        return _check(folders, args.profile)
    if args.command == "run":
        profile = resolve_profile(folders, args.profile)
        return _run(profile, folders, args, repeat=args.repeat)
    if args.command == "mirror":
        profile = quick_mirror_profile(args.source, args.replica)
        log_dir = Path(args.log_dir).expanduser().absolute() if args.log_dir else None
        if log_dir is not None:
            try:
                log_dir.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise errors.UsageError(f"--log-dir: cannot use {args.log_dir!r}: {error.strerror}") from None
        return _run(profile, folders, args, log_dir=log_dir)
    if args.command == "schedule":
        return _schedule(folders, args)
    raise errors.UsageError(f"unknown command {args.command!r}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the command, print one line per problem, return the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        return dispatch(argv)
    except errors.RearguardError as error:
        print(f"rearguard: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("rearguard: cancelled", file=sys.stderr)
        return errors.EXIT_CANCELLED
    except BrokenPipeError:
        return errors.EXIT_OK
