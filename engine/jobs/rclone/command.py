"""rclone command lines, built by pure functions (tested without running anything).

Every command puts its flags first and its positional arguments after ``--``, so a remote or path
from a profile can never be read as a flag. Flags were checked against ``rclone help flags`` (v1.75).
"""

from __future__ import annotations

import sys

from engine.core.target_overlap import local_path_of_remote
from engine.files.versions import VERSIONS_FOLDER

# Structured log lines on stderr, the periodic stats among them, and one attempt only: Rearguard's
# own retry queue retries on the next run. A prompt for a config password would hang a run with no
# terminal, so it is refused instead.
_LOGGING = ["--use-json-log", "-v", "--stats", "1s", "--stats-log-level", "NOTICE"]
_ONE_TRY = ["--retries", "1", "--ask-password=false"]
_CHECK_TIMEOUTS = ["--contimeout", "15s", "--timeout", "30s", "--low-level-retries", "1"]
# The upload is also a run's reachability check (no call asks the remote before it): a server that
# never answers is given up on as soon as by the checks, per connection attempt.
_CONNECT_TIMEOUT = ["--contimeout", "15s"]


# ``--files-from-raw -``: the list comes on rclone's standard input (stream.py), so a command can be
# started before its list is known (ahead.py).
FROM_INPUT = "-"


def config_flags(config: str) -> list[str]:
    """``--config FILE`` when the profile names an rclone.conf; nothing means rclone's own."""
    return ["--config", config] if config else []


def version_argv(binary: str) -> list[str]:
    return [binary, "version"]


def stat_argv(binary: str, remote: str, config: str = "") -> list[str]:
    """One cheap request that proves the remote answers: ``rclone lsjson --stat REMOTE``."""
    return [
        binary,
        "lsjson",
        "--stat",
        "--use-json-log",
        *_CHECK_TIMEOUTS,
        *_ONE_TRY,
        *config_flags(config),
        "--",
        remote,
    ]


def upload_argv(
    binary: str,
    source: str,
    remote: str,
    list_file: str,
    *,
    versions_dir: str | None,
    transfers: int = 4,
    config: str = "",
    traverse: bool = False,
    adopt: bool = False,
    bwlimit: str = "",
    max_duration: float | None = None,
) -> list[str]:
    """The one batched upload of a run: ``rclone copy SOURCE REMOTE --files-from-raw LIST``.

    ``traverse`` lists the remote instead of asking for each file (cheaper when many files go);
    ``adopt`` (first run, empty index) lets rclone skip files the remote already has with the same
    size and time. Otherwise every listed file is sent (``--ignore-times``): the index already
    knows it changed, and remotes that keep whole seconds or no times at all would miss a change.
    ``bwlimit`` is the profile's, as rclone reads it (timetable included). ``max_duration`` (seconds
    until the run's window closes): rclone starts no new file after it and lets the ones under way
    finish (``--cutoff-mode soft``), then exits with code 10.
    """
    argv = [binary, "copy", "--files-from-raw", list_file]
    if not traverse:
        argv.append("--no-traverse")
    if not adopt:
        argv.append("--ignore-times")
    if versions_dir is not None:
        argv += ["--backup-dir", versions_dir]
    if bwlimit:
        argv += ["--bwlimit", bwlimit]
    if max_duration is not None:
        argv += ["--max-duration", f"{max(1, int(max_duration))}s", "--cutoff-mode", "soft"]
    argv += ["--transfers", str(transfers), *_CONNECT_TIMEOUT, *_LOGGING, *_ONE_TRY, *config_flags(config)]
    return [*argv, "--", source, remote]


def delete_argv(
    binary: str, remote: str, list_file: str, *, versions_dir: str | None, config: str = ""
) -> list[str]:
    """Remove the listed files from the remote: moved into ``versions_dir``, or deleted without it."""
    if versions_dir is not None:
        head = [binary, "move", "--files-from-raw", list_file, "--no-traverse"]
        tail = ["--", remote, versions_dir]
    else:
        head = [binary, "delete", "--files-from-raw", list_file]
        tail = ["--", remote]
    return [*head, *_LOGGING, *_ONE_TRY, *config_flags(config), *tail]


def look_argv(
    binary: str, remote: str, list_file: str, *, traverse: bool = False, config: str = ""
) -> list[str]:
    """What the remote holds of the listed files: ``rclone lsjson --files-from-raw LIST REMOTE``.

    One JSON object per file found (path, size, modification time); a listed file that is not
    there is simply absent. ``traverse`` lists the folders of the listed files instead of asking
    for each file (cheaper when many are listed).
    """
    argv = [binary, "lsjson", "--files-only", "--recursive", "--no-mimetype", "--files-from-raw", list_file]
    if not traverse:
        argv.append("--no-traverse")
    argv += ["--use-json-log", *_CHECK_TIMEOUTS, *_ONE_TRY, *config_flags(config)]
    return [*argv, "--", remote]


def features_argv(binary: str, remote: str, config: str = "") -> list[str]:
    """The remote's features as JSON (``Precision``: how finely it keeps modification times)."""
    return [
        binary,
        "backend",
        "features",
        "--use-json-log",
        *_CHECK_TIMEOUTS,
        *_ONE_TRY,
        *config_flags(config),
        "--",
        remote,
    ]


def check_argv(
    binary: str,
    source: str,
    remote: str,
    list_file: str,
    combined_file: str,
    *,
    download: bool,
    checkers: int = 8,
    config: str = "",
) -> list[str]:
    """Read the listed files back: ``rclone check SOURCE REMOTE --one-way --files-from-raw LIST``.

    One line per file goes to ``combined_file`` (``= path`` same, ``* path`` differs, ``+ path``
    missing on the remote, ``! path`` could not be read). Hashes are compared where both sides have
    a common one; ``download`` reads the remote's bytes instead (a remote that keeps no hash).
    ``--one-way``: what only the remote has (versions, excluded files) is not a difference. rclone's
    idle timeout stays at its default: a server hashing a large file says nothing for a while.
    """
    argv = [binary, "check", "--one-way", "--files-from-raw", list_file, "--combined", combined_file]
    if download:
        argv.append("--download")
    argv += ["--checkers", str(checkers), "--use-json-log", "-v"]
    argv += ["--contimeout", "15s", "--low-level-retries", "3", "--ask-password=false"]
    return [*argv, *config_flags(config), "--", source, remote]


def remote_join(remote: str, relative: str) -> str:
    """A path below ``remote``, spelled the way rclone reads it.

    ``name:`` is the remote's default folder and ``name:/`` its root, so a bare ``name:`` gets no
    slash added (``name:/x`` would be a different folder).
    """
    if remote.endswith((":", "/", "\\")):
        return remote + relative
    return f"{remote}/{relative}"


def versions_dir(remote: str, run_stamp: str) -> str:
    """Where this run's replaced and deleted files go on the remote.

    rclone's ``--backup-dir`` overwrites what the folder already holds, so two runs that replace the
    same file within one second (a crash and an immediate re-run) must not share a folder: the
    stamp (``versions_stamp``) has microseconds.
    """
    return remote_join(remote, f"{VERSIONS_FOLDER}/{run_stamp}")


def local_path_of(remote: str, platform: str = sys.platform) -> str | None:
    """The local folder a remote names (rclone takes a plain path as local), or None for a remote.

    One rule for the whole program: ``engine.core.target_overlap`` keeps it, so a run and ``check``
    can never disagree about whether a remote is a folder on this computer.
    """
    return local_path_of_remote(remote, platform)
