"""One ``rclone check`` of chosen files (readback.py decides which, and what its answer means).

``rclone check --one-way --files-from-raw -`` with the list on its input: the run's check is
started ahead, as the scan finds the first change (ahead.py), and is used when it is the same
command (one checker: a run's usual handful of files). The combined report gives one symbol per
file; rclone's error lines say why a file differs.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.core.context import RunContext
from engine.core.errors import ToolUnavailable
from engine.core.profiles import RcloneProfile
from engine.jobs.rclone import ahead, command, json_log
from engine.jobs.rclone.settings import Job
from engine.tools.process import ProcessResult
from engine.tools.redact import redact

# A hang guard, not a schedule: rclone's own idle timeout catches a silent connection sooner.
CHECK_TIMEOUT = 900.0  # seconds, plus the time to read every byte at CHECK_MIN_RATE
CHECK_MIN_RATE = 1024 * 1024
# Each checker opens its own connection (an SSH handshake on sftp): a small sample reads faster
# with few of them, a full verify with rclone's default eight.
FILES_PER_CHECKER = 50
MAX_CHECKERS = 8
_UNHASHED = re.compile(r"^(\d+) hashes could not be checked")
_NO_COMMON_HASH = "No common hash found"

Row = tuple[int, int]  # (size, mtime_ns) as the index has it


@dataclass
class Checked:
    """What one ``rclone check`` said: a symbol per file, rclone's words per file, and the rest."""

    result: ProcessResult
    symbols: dict[str, str] = field(default_factory=dict)  # path -> "=", "*", "+", "!"
    said: dict[str, str] = field(default_factory=dict)  # path -> rclone's first error about it
    general: list[str] = field(default_factory=list)  # errors about no file
    fatal: list[str] = field(default_factory=list)
    no_common_hash: bool = False
    unhashed: int = 0  # files compared by size only (the remote had no hash for them)


def parse_combined(text: str) -> dict[str, str]:
    """``rclone check --combined`` output as path -> symbol (one ``X path`` per line)."""
    out: dict[str, str] = {}
    for line in text.split("\n"):
        if len(line) > 2 and line[0] in "=*+!-" and line[1] == " ":
            out[line[2:]] = line[0]
    return out


def checkers_for(files: int) -> int:
    return max(1, min(MAX_CHECKERS, math.ceil(files / FILES_PER_CHECKER)))


def run_check(
    ctx: RunContext, job: Job, binary: str, wanted: Mapping[str, Row], *, download: bool
) -> Checked:
    """One ``rclone check`` of ``wanted``; every file and error line it gives is collected."""
    timeout = CHECK_TIMEOUT + sum(size for size, _ in wanted.values()) / CHECK_MIN_RATE
    secrets = ctx.secrets
    found = Checked(ProcessResult([], None))

    def on_record(record: json_log.LogRecord) -> None:
        if isinstance(record, json_log.Failed):
            found.said.setdefault(record.path, redact(record.message, secrets))
        elif isinstance(record, json_log.Message):
            if record.text.startswith(_NO_COMMON_HASH):
                found.no_common_hash = True
            elif match := _UNHASHED.match(record.text):
                found.unhashed = int(match.group(1))
            elif record.level in ("critical", "fatal"):
                found.fatal.append(redact(record.text, secrets))
            elif record.is_error:
                found.general.append(redact(record.text, secrets))
            elif record.text.startswith("Using "):
                ctx.log.info("rclone check: %s", record.text)

    # A run's check may have been started when its scan found the first change (ahead.py); a download
    # check never is.
    key = None if download else ahead.CHECK
    try:
        with ahead.command(ctx, key, check_argv_for(job, binary, len(wanted), download=download)) as (
            started,
            folder,
        ):
            found.result = started.run(list(wanted), on_record, cancel=ctx.cancel, timeout=timeout)
            try:
                with open(_combined(folder), encoding="utf-8", errors="replace") as handle:
                    found.symbols = parse_combined(handle.read())
            except OSError:  # no report: every file is "not read back"
                pass
    except OSError as error:
        raise ToolUnavailable(f"rclone cannot be started ({binary}): {error.strerror or error}") from None
    return found


def _combined(folder: str) -> str:
    return os.path.join(folder, "combined.txt")


def check_argv_for(job: Job, binary: str, files: int, *, download: bool) -> ahead.ArgvFor:
    """The check of ``files`` files, its combined report in the folder given; the list comes on its input."""

    def argv(folder: str) -> list[str]:
        return command.check_argv(
            binary,
            str(job.source),
            job.remote,
            command.FROM_INPUT,
            _combined(folder),
            download=download,
            checkers=checkers_for(files),
            config=job.config,
        )

    return argv


def start_ahead(ctx: RunContext, job: Job, binary: str) -> None:
    """Start the read-back's check now, as a run with a few changes will need it (one checker)."""
    spec = ctx.profile.spec
    if not ctx.dry_run and isinstance(spec, RcloneProfile) and spec.rclone.verify != "off":
        ahead.start(ctx.held, ctx.secrets, ahead.CHECK, check_argv_for(job, binary, 1, download=False))
