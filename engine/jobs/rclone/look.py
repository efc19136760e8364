"""A look at the remote for the files rclone said nothing about: one ``rclone lsjson`` of exactly those.

rclone logs a line for every file it copies, moves or deletes. A clean exit without that line is
not taken for success: the remote is asked once (``lsjson --files-from-raw``, with ``backend
features`` beside it for how finely the remote keeps modification times). An upload is confirmed
when the remote holds the file with the size, and the modification time (to the remote's
precision, where it keeps one), that was sent; a deletion when the file is no longer there.
Anything else, and a look that fails, leaves the file unconfirmed: it is tried again next run.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from engine.core.context import RunContext
from engine.core.events import PhaseChanged
from engine.core.plan import Action
from engine.jobs.rclone import command, json_log
from engine.jobs.rclone.settings import Job
from engine.jobs.rclone.stream import list_bytes
from engine.tools.process import ProcessResult, run_process
from engine.tools.redact import redact

LOOK_TIMEOUT = 3600.0
FEATURES_TIMEOUT = 120.0
TRAVERSE_MIN_FILES = 1000  # from this many files on, listing their folders beats asking file by file
_EXIT_DIRECTORY_NOT_FOUND = 3  # the remote folder itself is missing: none of the files is there
# A precision this coarse means the remote keeps no modification time (rclone: ModTimeNotSupported).
_NO_MODTIME_NS = 24 * 3600 * 10**9
_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")


class LookFailed(Exception):
    """The remote could not be looked at; the message says why (secrets removed)."""


@dataclass(frozen=True, slots=True)
class Seen:
    """One file as the remote lists it."""

    size: int
    mtime_ns: int | None  # None: the listing gave no usable time
    digits: int = 9  # decimals of the listed seconds: the remote's precision when features are unknown


@dataclass
class Remote:
    """What one look found: the listed files the remote holds, and its time precision."""

    found: dict[str, Seen] = field(default_factory=dict)
    precision_ns: int | None = None  # None: unknown (then taken from the listed times)
    _folded: dict[str, Seen] | None = field(default=None, repr=False, compare=False)

    def get(self, path: str) -> Seen | None:
        """The file at ``path``; a remote that hands back names in another Unicode form still matches."""
        seen = self.found.get(path)
        if seen is None and self.found:
            if self._folded is None:
                self._folded = {unicodedata.normalize("NFC", p): s for p, s in self.found.items()}
            seen = self._folded.get(unicodedata.normalize("NFC", path))
        return seen


def parse_time(text: str) -> tuple[int, int] | None:
    """lsjson's ModTime (RFC 3339, up to 9 decimals) as (ns since the epoch, decimals), or None."""
    match = _TIME.match(text)
    if not match:
        return None
    whole, fraction, zone = match.groups()
    try:
        moment = datetime.fromisoformat(whole + ("+00:00" if zone == "Z" else zone))
    except ValueError:
        return None
    fraction = fraction or ""
    return int(moment.timestamp()) * 10**9 + int(fraction.ljust(9, "0")), len(fraction)


def parse_listing(text: str) -> dict[str, Seen]:
    """lsjson's output as path -> Seen; raises ValueError when it is not a JSON list of files."""
    data = json.loads(text)
    if not isinstance(data, list):
        raise ValueError("not a JSON list")
    found: dict[str, Seen] = {}
    for item in data:
        if not isinstance(item, dict) or item.get("IsDir") or not isinstance(item.get("Path"), str):
            continue
        size = item.get("Size")
        if not isinstance(size, int) or size < 0:
            continue  # a size the remote does not know (-1) confirms nothing
        when = parse_time(str(item.get("ModTime") or ""))
        found[item["Path"]] = Seen(size, when[0], when[1]) if when else Seen(size, None)
    return found


def parse_precision(text: str) -> int | None:
    """``Precision`` (ns) from ``rclone backend features`` output, or None."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    value = data.get("Precision") if isinstance(data, dict) else None
    return value if isinstance(value, int) and value > 0 else None


def upload_problem(action: Action, remote: Remote) -> str | None:
    """Why the remote does not show ``action``'s file as sent, or None when it does."""
    seen = remote.get(action.path)
    if seen is None:
        return "it is not on the remote"
    if seen.size != action.bytes:
        return f"the remote has {seen.size} bytes of it, not {action.bytes}"
    precision = remote.precision_ns if remote.precision_ns is not None else 10 ** (9 - seen.digits)
    if action.mtime_ns is None or seen.mtime_ns is None or precision >= _NO_MODTIME_NS:
        return None  # the remote keeps no time: the size has to do
    if abs(seen.mtime_ns - action.mtime_ns) >= precision:
        return "the remote's copy has another modification time"
    return None


def _reason(result: ProcessResult) -> str:
    messages = [
        r for r in map(json_log.parse_line, result.stderr.splitlines()) if isinstance(r, json_log.Message)
    ]
    errors = [m.text for m in messages if m.is_error]
    return (errors or [f"rclone exit {result.returncode}"])[-1]


def _run(ctx: RunContext, argv: Sequence[str], timeout: float) -> ProcessResult:
    try:
        return run_process(
            argv,
            timeout=timeout,
            cancel=ctx.cancel,
            encoding="utf-8",  # rclone writes UTF-8 on every platform
            secrets=ctx.secrets,
            log_output=False,
        )
    except OSError as error:
        raise LookFailed(f"rclone cannot be started: {error.strerror or error}") from None


def look(ctx: RunContext, job: Job, binary: str, paths: Sequence[str]) -> Remote:
    """Ask the remote about ``paths`` with one ``rclone lsjson``; raises LookFailed when it cannot."""
    ctx.reporter(
        PhaseChanged("verify", f"asking the remote about {len(paths)} file(s) rclone did not confirm")
    )
    traverse = len(paths) >= TRAVERSE_MIN_FILES
    with tempfile.TemporaryDirectory(prefix="rearguard-rclone-") as folder:
        list_file = write_list(folder, paths)
        with ThreadPoolExecutor(1, thread_name_prefix="rclone-features") as pool:
            about = pool.submit(
                _run, ctx, command.features_argv(binary, job.remote, job.config), FEATURES_TIMEOUT
            )
            argv = command.look_argv(binary, job.remote, list_file, traverse=traverse, config=job.config)
            listing = _run(ctx, argv, LOOK_TIMEOUT)
            try:
                features: ProcessResult | None = about.result()
            except LookFailed:
                features = None
    if listing.cancelled:
        raise LookFailed("cancelled")
    if listing.timed_out:
        raise LookFailed(f"no answer within {LOOK_TIMEOUT:.0f} s")
    if listing.returncode == _EXIT_DIRECTORY_NOT_FOUND:
        found: dict[str, Seen] = {}
    elif not listing.ok:
        raise LookFailed(redact(_reason(listing), ctx.secrets))
    else:
        try:
            found = parse_listing(listing.stdout)
        except ValueError:
            raise LookFailed("rclone lsjson gave a listing that cannot be read") from None
    precision = parse_precision(features.stdout) if features is not None and features.ok else None
    ctx.log.info(
        "looked at the remote: %d of %d file(s) there (time precision %s)",
        len(found),
        len(paths),
        f"{precision} ns" if precision else "unknown",
    )
    return Remote(found, precision)


def write_list(folder: str, paths: Sequence[str]) -> str:
    """A ``--files-from-raw`` file in ``folder``: one path per line, UTF-8, ``/`` separators."""
    target = os.path.join(folder, "files.txt")
    with open(target, "wb") as handle:
        handle.write(list_bytes(paths))
    return target
