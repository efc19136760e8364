"""The rclone job against real rclone: a local-folder remote and a loopback sftp remote."""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from engine.core.events import Event
from engine.core.folders import Folders, app_folders
from engine.core.profiles import Profile, RcloneProfile
from engine.core.runner import RunOutcome, run_profile
from engine.core.state import StateDB
from engine.files.versions import VERSIONS_FOLDER
from engine.jobs.rclone import index
from engine.jobs.rclone.index import RetryEntry
from engine.jobs.rclone.preflight import find_rclone
from tests.fakes.rclone_server import SftpServer, sftp_server

__all__ = ["Rig", "Target", "sftp_server"]

T0 = 1_700_000_000


def write_files(root: Path, files: dict[str, str | bytes], mtime: int | None = T0) -> None:
    """Create or overwrite files (``{"a/b.txt": "content"}``) with a fixed mtime."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        if mtime is not None:
            os.utime(path, (mtime, mtime))


@contextmanager
def frozen_folder(folder: Path) -> Iterator[None]:
    """Nothing can be created in, or moved out of, ``folder`` until the block ends.

    An upload into it fails on the remote side, the way a full or write-protected share does. As
    root (CI) a read-only mode does not stop anything, so the immutable flag is used there.
    """
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if as_root:
        if not shutil.which("chattr"):
            pytest.skip("chattr is needed to write-protect a folder as root")
        done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"this file system cannot write-protect a folder: {done.stderr!r}")
    else:
        folder.chmod(0o555)
    try:
        yield
    finally:
        if as_root:
            subprocess.run(["chattr", "-i", str(folder)], capture_output=True, check=False)
        else:
            folder.chmod(0o755)


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` (relative, ``/``) with its content, Rearguard's versions left out."""
    out: dict[str, bytes] = {}
    if not root.is_dir():
        return out
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not rel.startswith(".rearguard/"):
            out[rel] = path.read_bytes()
    return out


@dataclass
class Target:
    """A remote as rclone names it, and the local folder where its files can be looked at."""

    kind: str
    remote: str
    root: Path

    def files(self) -> dict[str, bytes]:
        return read_tree(self.root)

    def versions(self) -> dict[str, bytes]:
        """Files kept under the versions folder, keyed by their path without the run stamp."""
        base = self.root / VERSIONS_FOLDER
        out: dict[str, bytes] = {}
        for stamp in sorted(base.iterdir()) if base.is_dir() else []:
            out.update(read_tree(stamp))
        return out


@dataclass
class Rig:
    """One test's profile: a source folder, a target, the app folders, and a way to run it."""

    folders: Folders
    source: Path
    target: Target
    name: str = "t"

    def profile(self, **settings: Any) -> Profile:
        values: dict[str, Any] = {"source": str(self.source), "remote": self.target.remote}
        values.update(settings)
        return Profile(self.name, RcloneProfile.model_validate({"kind": "rclone", "rclone": values}))

    def run(self, *, dry_run: bool = False, events: list[Event] | None = None, **settings: Any) -> RunOutcome:
        reporter = events.append if events is not None else (lambda event: None)
        return run_profile(self.profile(**settings), self.folders, dry_run=dry_run, reporter=reporter)

    def index(self) -> dict[str, tuple[int, int]]:
        state = StateDB(self.folders.state_db)
        try:
            return index.load_index(state, self.name)
        finally:
            state.close()

    def retries(self) -> dict[str, RetryEntry]:
        state = StateDB(self.folders.state_db)
        try:
            return index.load_retries(state, self.name)
        finally:
            state.close()


@pytest.fixture(params=["local", "sftp"])
def target(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rclone_env: None
) -> Iterator[Target]:
    """A local-folder remote, and the same tests again over the loopback sftp remote."""
    if request.param == "local":
        yield Target("local", str(tmp_path / "remote"), tmp_path / "remote")
        return
    server: SftpServer = request.getfixturevalue("sftp_server")
    for key, value in server.env("SF").items():
        monkeypatch.setenv(key, value)
    yield Target("sftp", f"SF:{tmp_path.name}", server.root / tmp_path.name)


@pytest.fixture
def rig(home: Path, tmp_path: Path, target: Target) -> Rig:
    folders = app_folders().create()
    source = tmp_path / "src"
    source.mkdir()
    return Rig(folders, source, target)


@pytest.fixture
def local_rig(home: Path, tmp_path: Path, rclone_env: None) -> Rig:
    """Only the local-folder remote: for behaviours that do not depend on the transport."""
    folders = app_folders().create()
    source = tmp_path / "src"
    source.mkdir()
    return Rig(folders, source, Target("local", str(tmp_path / "remote"), tmp_path / "remote"))


def recording_rclone(folder: Path) -> tuple[Path, Path]:
    """An executable that runs the real rclone and logs its command (``copy``, ``lsjson``, ...).

    Into ``calls.txt`` when it ended by itself, into ``started.txt`` when it started (a command
    stopped by the run is killed with its wrapper, which then writes nothing more).
    """
    calls = folder / "calls.txt"
    started = folder / "started.txt"
    wrapper = folder / "rclone"
    wrapper.write_text(
        f'#!/bin/sh\necho "$1" >> {shlex.quote(str(started))}\n'
        f'{shlex.quote(find_rclone())} "$@"\ncode=$?\necho "$1" >> {shlex.quote(str(calls))}\nexit $code\n'
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    return wrapper, calls


def rclone_processes(marker: str) -> list[psutil.Process]:
    """Running rclone processes whose command line names ``marker`` (this test's source folder)."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        cmdline = process.info["cmdline"] or []
        if process.info["status"] == psutil.STATUS_ZOMBIE or not cmdline:
            continue
        if "rclone" in os.path.basename(cmdline[0]) and marker in cmdline:
            found.append(process)
    return found
