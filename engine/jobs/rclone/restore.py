"""Restoring from an rclone profile's remote versions: list what ``<remote>/.rearguard/versions``
holds and download one file to a local folder.

The command lines are pure functions (tested without rclone); running them goes through
``engine.tools.process.run_process``. A download never overwrites a local file unless asked
(``--ignore-existing`` otherwise, and the GUI asks first).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from engine.core.errors import ToolUnavailable
from engine.core.profiles import RcloneSettings
from engine.core.restore import RestoreEntry, RestorePoint
from engine.files.copy_out import aside_name, check_conflicts
from engine.files.pathsafety import join_inside
from engine.files.versions import VERSIONS_FOLDER, parse_versions_stamp, versions_stamp
from engine.jobs.rclone import credentials
from engine.jobs.rclone.command import config_flags, remote_join
from engine.jobs.rclone.preflight import find_rclone
from engine.tools.process import ProcessResult, run_process
from engine.tools.redact import redact

LIST_TIMEOUT = 300.0
DOWNLOAD_TIMEOUT = 6 * 3600.0
Runner = Callable[..., ProcessResult]


@dataclass(frozen=True)
class RemoteVersion:
    """One file kept under the remote's versions folder by the run that replaced or deleted it."""

    run: datetime
    stamp: str
    relative: str
    size: int

    @property
    def path(self) -> str:
        """Its path below the versions folder (``<stamp>/<relative>``)."""
        return f"{self.stamp}/{self.relative}"


def versions_root(remote: str) -> str:
    return remote_join(remote, VERSIONS_FOLDER)


def list_argv(binary: str, remote: str, *, config: str = "") -> list[str]:
    """``rclone lsf`` of every kept file: ``<stamp>/<path>``, size, separated by a tab."""
    return [
        binary,
        "lsf",
        "--recursive",
        "--files-only",
        "--format",
        "ps",
        "--separator",
        "\t",
        *config_flags(config),
        "--",
        versions_root(remote),
    ]


def download_argv(
    binary: str,
    remote: str,
    version: RemoteVersion,
    local_folder: str,
    *,
    config: str = "",
    overwrite: bool = False,
) -> list[str]:
    """``rclone copy`` of one kept file into ``local_folder`` (never over a file unless ``overwrite``)."""
    guard = [] if overwrite else ["--ignore-existing"]
    return [
        binary,
        "copy",
        *guard,
        *config_flags(config),
        "--",
        remote_join(versions_root(remote), version.path),
        local_folder,
    ]


def parse_listing(text: str) -> list[RemoteVersion]:
    """The lines of ``list_argv``'s output as versions, newest run first (other lines are skipped)."""
    found = []
    for line in text.splitlines():
        path, _tab, size = line.rpartition("\t")
        stamp, _slash, relative = path.partition("/")
        run = parse_versions_stamp(stamp)
        if run is None or not relative or not size.strip().lstrip("-").isdigit():
            continue
        found.append(RemoteVersion(run, stamp, relative, int(size)))
    return sorted(found, key=lambda v: (-v.run.timestamp(), v.relative))


def _check(result: ProcessResult, what: str, secrets: Sequence[str] = ()) -> None:
    """Raise ToolUnavailable with rclone's last words, secrets masked (the window shows them)."""
    if not result.ok:
        detail = (result.stderr or result.stdout).strip().splitlines()
        last = redact(detail[-1], secrets) if detail else ""
        raise ToolUnavailable(f"rclone could not {what} (exit {result.returncode}): {last}")


def list_versions(
    binary: str,
    remote: str,
    *,
    config: str = "",
    run: Runner = run_process,
    missing_ok: Sequence[int] = (3,),
    secrets: Sequence[str] = (),
) -> list[RemoteVersion]:
    """Every kept file on the remote; an empty list when there is no versions folder yet."""
    argv = list_argv(binary, remote, config=config)
    result = run(argv, timeout=LIST_TIMEOUT, log_output=False, secrets=secrets)
    if result.returncode in missing_ok:
        return []
    _check(result, "list the remote's versions", secrets)
    return parse_listing(result.stdout)


def download(
    binary: str,
    remote: str,
    version: RemoteVersion,
    local_folder: str,
    *,
    config: str = "",
    overwrite: bool = False,
    run: Runner = run_process,
    secrets: Sequence[str] = (),
) -> None:
    """Download one kept file into ``local_folder``."""
    argv = download_argv(binary, remote, version, local_folder, config=config, overwrite=overwrite)
    _check(run(argv, timeout=DOWNLOAD_TIMEOUT, secrets=secrets), "download the version", secrets)


# -- the restore API (engine.core.restore) -----------------------------------------------------------

IN_PLACE = True


def _secrets(settings: RcloneSettings) -> list[str]:
    """What rclone could show of this profile's passwords and tokens (masked in every message)."""
    return credentials.collect(settings.remote, os.path.expanduser(settings.config.strip()))


def restore_points(settings: RcloneSettings, *, run: Runner = run_process) -> list[RestorePoint]:
    """The remote's versions grouped by the run that kept them, newest first (one rclone listing)."""
    binary = find_rclone(settings.rclone)
    by_stamp: dict[str, list[RemoteVersion]] = {}
    secrets = _secrets(settings)
    for version in list_versions(binary, settings.remote, config=settings.config, run=run, secrets=secrets):
        by_stamp.setdefault(version.stamp, []).append(version)
    return [
        RestorePoint(
            versions[0].run,
            stamp,
            tuple(sorted((RestoreEntry(v.relative, v.size) for v in versions), key=lambda e: e.path)),
        )
        for stamp, versions in by_stamp.items()
    ]


def original_place(settings: RcloneSettings, path: str) -> Path:
    """Where ``path`` lived: the same relative path under the profile's source folder."""
    return join_inside(Path(os.path.expanduser(settings.source)), path)


def restore_entry(
    settings: RcloneSettings,
    point: RestorePoint,
    entry: RestoreEntry,
    target: Path,
    *,
    overwrite: bool,
    run: Runner = run_process,
) -> int:
    """Download one kept file as ``target``; an existing file is kept beside it before it is replaced."""
    existing = check_conflicts([target], overwrite)
    binary = find_rclone(settings.rclone)
    version = RemoteVersion(point.run, point.key, entry.path, entry.size)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".rearguard-restore-", dir=target.parent) as staging:
        # Downloaded beside the target first, so the replaced file is kept only once the copy arrived.
        secrets = _secrets(settings)
        download(binary, settings.remote, version, staging, config=settings.config, run=run, secrets=secrets)
        arrived = Path(staging) / PurePosixPath(entry.path).name
        if not arrived.is_file():
            raise ToolUnavailable(f"rclone reported success but {entry.path} did not arrive")
        if existing:
            os.replace(target, aside_name(target, versions_stamp(datetime.now(UTC))))
        os.replace(arrived, target)
    return 1
