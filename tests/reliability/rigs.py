"""Small in-process rigs for the fault tests: a mirror profile over a remembered source tree."""

from __future__ import annotations

import os
import random
import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.core.events import Event
from engine.core.folders import Folders
from engine.core.profiles import MirrorProfile, Profile, RcloneProfile
from engine.core.report import RunReport
from engine.core.runner import RunOutcome, run_profile
from engine.core.state import StateDB
from tests.reliability.world import Pair, SourceTree, lost, rclone_temp, real_files, temp_files, torn


@dataclass
class MirrorRig:
    """A source tree, a replica, and every version the replica was seen to hold."""

    folders: Folders
    tree: SourceTree
    replica: Path
    name: str = "faults"
    seen: set[Pair] = field(default_factory=set)
    settings: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def make(
        cls, folders: Folders, tmp: Path, seed: int, files: int = 60, big_mb: int = 2, **settings: Any
    ) -> MirrorRig:
        tree = SourceTree(tmp / "src", random.Random(seed))
        tree.populate(files=files, big=2, big_size=big_mb * 1024 * 1024)
        return cls(folders, tree, tmp / "replica", settings=settings)

    def profile(self) -> Profile:
        values = {"source": str(self.tree.root), "replica": str(self.replica), **self.settings}
        return Profile(self.name, MirrorProfile.model_validate({"kind": "mirror", "mirror": values}))

    def run(self, reporter: Any = None) -> RunOutcome:
        events: list[Event] = []
        outcome = run_profile(self.profile(), self.folders, reporter=reporter or events.append)
        self.seen |= set(real_files(self.replica).items())
        return outcome

    def report(self, outcome: RunOutcome) -> RunReport:
        assert outcome.report is not None, outcome
        return outcome.report

    def problems(self) -> list[str]:
        """Torn files, temporary files and lost versions: what must never be found."""
        out = [f"torn: {p}" for p in torn(self.replica, self.tree)]
        out += [f"temporary file left: {p}" for p in temp_files(self.replica)]
        out += [f"lost: {p}" for p, _ in sorted(lost(self.seen, self.replica))]
        return out

    def complete(self) -> bool:
        return real_files(self.replica) == self.tree.current()


class Loopback:
    """A loopback ``rclone serve sftp`` that a test can stop in the middle of an upload and start
    again (on a new port: the remote ``SF:`` follows it through its environment variables)."""

    def __init__(self, root: Path, monkeypatch: Any) -> None:
        from engine.jobs.rclone.preflight import find_rclone
        from tests.fakes.rclone_server import obscure

        self.root = root
        self.monkeypatch = monkeypatch
        self.rclone = find_rclone()
        self.password = "pw-" + secrets.token_urlsafe(12)
        self.obscured = obscure(self.rclone, self.password)
        self.proc: subprocess.Popen[bytes] | None = None
        root.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        from tests.fakes.rclone_server import HOST, _wait_listening, free_port

        for _ in range(5):
            port = free_port()
            argv = [self.rclone, "serve", "sftp", str(self.root), "--addr", f"{HOST}:{port}"]
            argv += ["--user", "rg", "--pass", self.password, "--config", os.devnull]
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            if _wait_listening(port, proc):
                self.proc = proc
                env = {"TYPE": "sftp", "HOST": HOST, "PORT": str(port), "USER": "rg", "PASS": self.obscured}
                for key, value in env.items():
                    self.monkeypatch.setenv(f"RCLONE_CONFIG_SF_{key}", value)
                return
            proc.kill()
            proc.wait()
        raise RuntimeError("rclone serve sftp did not start")

    def stop(self) -> None:
        from tests.fakes.rclone_server import _stop

        if self.proc is not None:
            _stop(self.proc)
            self.proc = None


@dataclass
class RcloneRig:
    """A source tree uploaded by an rclone profile to ``remote`` (files land in ``remote_root``)."""

    folders: Folders
    tree: SourceTree
    remote: str
    remote_root: Path
    name: str = "rfaults"
    seen: set[Pair] = field(default_factory=set)

    def profile(self, **settings: Any) -> Profile:
        values = {"source": str(self.tree.root), "remote": self.remote, **settings}
        return Profile(self.name, RcloneProfile.model_validate({"kind": "rclone", "rclone": values}))

    def run(self, reporter: Any = None, **settings: Any) -> RunOutcome:
        outcome = run_profile(self.profile(**settings), self.folders, reporter=reporter or (lambda e: None))
        self.seen |= set(real_files(self.remote_root, temp=rclone_temp).items())
        return outcome

    def index(self) -> tuple[dict[str, tuple[int, int]], dict[str, Any]]:
        from engine.jobs.rclone import index

        db = StateDB(self.folders.state_db)
        try:
            return index.load_index(db, self.name), index.load_retries(db, self.name)
        finally:
            db.close()

    def problems(self) -> list[str]:
        out = [f"torn: {p}" for p in torn(self.remote_root, self.tree, rclone_temp)]
        out += [f"lost: {p}" for p, _ in sorted(lost(self.seen, self.remote_root, rclone_temp))]
        return out

    def complete(self) -> bool:
        """The remote equals the source, the index matches it, nothing waits for a retry."""
        indexed, retries = self.index()
        stats = {rel: (self.tree.root / rel).stat() for rel in self.tree.current()}
        return (
            real_files(self.remote_root, temp=rclone_temp) == self.tree.current()
            and temp_files(self.remote_root, rclone_temp) == []
            and indexed == {rel: (st.st_size, st.st_mtime_ns) for rel, st in stats.items()}
            and retries == {}
        )
