"""``rearguard notify test [--json]`` and ``rearguard notify password``, and what a run says about
its notifications on stderr (a channel that is down never changes a run's exit code)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from engine.core import errors
from engine.core.folders import Folders
from engine.notify.run_events import Notified

if TYPE_CHECKING:  # a run only needs report_notified: the mail and web modules load on demand
    from engine.notify.delivery import ChannelResult


def notify_command(folders: Folders, args: argparse.Namespace) -> int:
    if args.action == "test":
        return _test(folders, args.json)
    if args.action == "password":
        return _password(folders)
    raise errors.UsageError(f"notify: unknown action {args.action!r}")


def _line(result: ChannelResult) -> str:
    waiting = f"; {result.waiting} message(s) wait in the outbox" if result.waiting else ""
    if not result.ok:
        return f"{result.channel}: NOT reached — {result.error}{waiting}"
    sent = f", {result.sent} waiting message(s) sent" if result.sent else ""
    note = f" ({result.error})" if result.error else ""
    return f"{result.channel}: ok{sent}{note}{waiting} ({result.seconds:.1f} s)"


def _test(folders: Folders, as_json: bool) -> int:
    """Exit 0 when every channel took the test message, 5 when one could not be reached."""
    from engine.cli.output import print_json
    from engine.notify.channel_check import send_test

    results = send_test(folders)
    code = errors.EXIT_UNAVAILABLE if any(not r.ok for r in results) else errors.EXIT_OK
    if as_json:
        print_json({"channels": [r.as_json() for r in results], "exit_code": code})
    else:
        for result in results:
            print(_line(result))
    return code


def _read_password(prompt: str) -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if first and getpass.getpass("Again, to be sure: ") != first:
            raise errors.UsageError("the two passwords differ; nothing was stored")
        return first
    # From a pipe (a server's provisioning script): one line, never echoed back.
    return (sys.stdin.readline() if sys.stdin is not None else "").rstrip("\r\n")


def _password(folders: Folders) -> int:
    """Store the SMTP password of ``[email]`` in the OS keyring, asked for without echo."""
    from engine.notify.mail import store_password
    from engine.notify.settings import load_notifications

    where = str(folders.notifications)
    email = load_notifications(folders).email
    if email is None:
        raise errors.ProfileError(where, ["[email]: section is missing; add it before its password"])
    if not email.user:
        raise errors.ProfileError(where, ["[email].user: not set; a server without login needs no password"])
    if email.password_env:
        raise errors.UsageError(
            f"[email].password is 'env:{email.password_env}': the password is read from that "
            "environment variable, not the keyring"
        )
    password = _read_password(f"SMTP password for {email.user} at {email.host}: ")
    if not password:
        raise errors.UsageError("no password given; nothing was stored")
    try:
        entry = store_password(email, password)
    except RuntimeError as error:
        raise errors.ToolUnavailable(str(error)) from None
    print(f"stored in the OS keyring ({entry}); try it with: rearguard notify test")
    return errors.EXIT_OK


def report_notified(notified: Notified) -> None:
    """One stderr line per notification problem after a run (stdout stays the run's own)."""
    for problem in notified.problems:
        print(f"rearguard: notify: {problem}", file=sys.stderr)
    for result in notified.unreached:
        print(f"rearguard: notify: {_line(result)}", file=sys.stderr)
