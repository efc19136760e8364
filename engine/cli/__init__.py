"""The command line: ``rearguard run|verify|list|show|check|mirror|schedule|notify`` (the CLI contract).

Every error ends as one readable line on stderr and its exit code; nothing else here prints
a traceback. Qt is never imported on this path. Each command lives in a module of its own.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from engine.cli.parser import build_parser
from engine.cli.run_commands import TIME_SCALE_ENV, quick_mirror_profile, run
from engine.core import errors
from engine.core.folders import app_folders
from engine.core.profiles import resolve_profile

__all__ = ["TIME_SCALE_ENV", "build_parser", "dispatch", "end_process", "main"]


def dispatch(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    folders = app_folders()
    if args.command is None:
        build_parser().print_help()
        return errors.EXIT_OK
    if args.command == "gui":
        raise errors.UsageError("the window is started by the 'rearguard' program, not by 'python -m engine'")
    # The other commands' modules load only when asked for: a run starts sooner without them.
    if args.command in ("list", "show", "check"):
        from engine.cli.profile_commands import check_command, list_command, show_command
    if args.command == "list":
        return list_command(folders, args.json)
    if args.command == "show":
        return show_command(folders, args.profile, args.json)
    if args.command == "check":
        return check_command(folders, args.profile)
    if args.command == "run":
        profile = resolve_profile(folders, args.profile)
        return run(profile, folders, args, repeat=args.repeat)
    if args.command == "mirror":
        profile = quick_mirror_profile(args.source, args.replica)
        log_dir = Path(args.log_dir).expanduser().absolute() if args.log_dir else None
        if log_dir is not None:
            try:
                log_dir.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise errors.UsageError(f"--log-dir: cannot use {args.log_dir!r}: {error.strerror}") from None
        return run(profile, folders, args, log_dir=log_dir)
    if args.command == "verify":
        from engine.cli.verify_command import verify_command

        return verify_command(folders, args)
    if args.command == "schedule":
        from engine.cli.schedule_commands import schedule_command

        return schedule_command(folders, args)
    if args.command == "notify":
        from engine.cli.notify_commands import notify_command

        return notify_command(folders, args)
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


def end_process(code: int) -> NoReturn:
    """End the process with ``code`` once a command is done.

    Python's own teardown frees every object of every module one by one: 10-20 ms of each command,
    for a process that ends anyway. When no other thread is left, the exit handlers run and the
    output is flushed as at any exit, then the process ends at once; otherwise it exits normally.
    """
    if threading.active_count() == 1:
        atexit._run_exitfuncs()  # logging's flush and close among them
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError, AttributeError):  # a closed pipe, a closed or absent stream
                pass
        os._exit(code)
    sys.exit(code)
