"""``rearguard run`` and ``rearguard mirror``: one run, or a repeating one, cancelled cleanly by Ctrl+C.

``--scheduled`` (what the OS schedulers' tasks pass) honours the profile's time window: outside it
the run does nothing and exits 0 saying so; inside it the run is told when the window closes.
Ctrl+Z and ``--pause-file`` pause a run (``pause_control.py``).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from engine.cli.notify_commands import report_notified
from engine.cli.output import print_json, print_outcome
from engine.cli.parser import interval
from engine.cli.pause_control import PauseControl
from engine.cli.progress_line import ProgressLine
from engine.core import errors
from engine.core.context import utc_now
from engine.core.durations import format_duration
from engine.core.folders import Folders
from engine.core.profiles import MirrorProfile, MirrorSettings, Profile
from engine.core.report import RunReport
from engine.core.runner import run_profile
from engine.core.state import StateDB
from engine.core.time_window import format_hhmm
from engine.files.pacing import PauseSwitch
from engine.notify.run_events import (
    Queued,
    notify_run_finished,
    notify_run_started,
    queue_run_finished,
    send_queued,
)
from engine.schedule.slots import window_end, window_of, window_start

TIME_SCALE_ENV = "REARGUARD_TEST_TIME_SCALE"  # test-only: divides repeat sleeps


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


class CancelOnSignal:
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


def outside_window(profile: Profile, args: argparse.Namespace) -> tuple[bool, datetime | None]:
    """For ``--scheduled``: (True, None) when its window is closed (said so), else (False, when it closes)."""
    window = window_of(profile.spec.schedule) if getattr(args, "scheduled", False) else None
    if window is None:
        return False, None
    now = utc_now()
    end = window_end(window, now)
    if end is not None:
        return False, end
    opens = window_start(window, now).astimezone()
    reason = (
        f"outside its window ({window}): nothing done; a scheduled run starts only inside it "
        f"(next at {format_hhmm(opens.hour * 60 + opens.minute)})"
    )
    if args.json:
        print_json({"profile": profile.name, "kind": profile.kind, "status": "skipped", "reason": reason,
                    "exit_code": errors.EXIT_OK})  # fmt: skip
    else:
        print(f"{profile.name}: {reason}")
    return True, None


def _one_run(
    profile: Profile,
    folders: Folders,
    args: argparse.Namespace,
    cancel: threading.Event,
    log_dir: Path | None,
    pause: PauseSwitch | None = None,
) -> int:
    outside, closes = outside_window(profile, args)
    if outside:
        return errors.EXIT_OK
    progress = ProgressLine(enabled=not args.json and sys.stderr.isatty())
    if not args.dry_run:
        notify_run_started(folders, profile)
    queued: list[Queued] = []  # queued with the run's own state database, sent once it is done

    def recorded(report: RunReport, db: StateDB) -> None:
        queued.append(queue_run_finished(folders, profile, report, db, log_dir=log_dir))

    outcome = run_profile(
        profile,
        folders,
        dry_run=args.dry_run,
        reporter=progress,
        cancel=cancel,
        log_dir=log_dir,
        trigger="schedule" if getattr(args, "scheduled", False) else "cli",
        pause=pause,
        window_end=closes,
        recorded=recorded,
    )
    progress.clear()
    print_outcome(outcome, profile, args.json)
    if outcome.report is not None:  # a channel that is down never changes the exit code
        if queued:
            notified = send_queued(folders, profile, queued[0], log_dir=log_dir)
        else:
            notified = notify_run_finished(folders, profile, outcome.report, log_dir=log_dir)
        report_notified(notified)
    return outcome.exit_code


def run(
    profile: Profile,
    folders: Folders,
    args: argparse.Namespace,
    log_dir: Path | None = None,
    repeat: bool = False,
) -> int:
    if args.max is not None and args.max < 1:
        raise errors.UsageError("--max: must be 1 or more")
    every = interval(args.every) if args.every else None
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
    pausing = PauseControl(args.pause_file, suspend_tools=profile.kind != "revit")
    with CancelOnSignal() as cancel, pausing as pause:
        if every is None:
            return _one_run(profile, folders, args, cancel, log_dir, pause)
        return _repeat(profile, folders, args, cancel, log_dir, every, pause)


def _repeat(
    profile: Profile,
    folders: Folders,
    args: argparse.Namespace,
    cancel: threading.Event,
    log_dir: Path | None,
    every: timedelta,
    pause: PauseSwitch,
) -> int:
    scale = float(os.environ.get(TIME_SCALE_ENV, "1") or 1)
    worst = errors.EXIT_OK
    count = 0
    while True:
        started = time.monotonic()
        try:
            code = _one_run(profile, folders, args, cancel, log_dir, pause)
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
