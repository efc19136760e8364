"""A real network remote for tests and benchmarks: ``rclone serve sftp`` on 127.0.0.1.

The server serves a local folder, so a test can look at what arrived with plain file operations.
Remotes are defined the way users define them: environment variables (``RCLONE_CONFIG_<NAME>_*``)
or an rclone.conf. Only the loopback address is ever used.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.jobs.rclone.preflight import find_rclone

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def obscure(rclone: str, password: str) -> str:
    """The password as rclone.conf and RCLONE_CONFIG_*_PASS want it (``rclone obscure``)."""
    done = subprocess.run([rclone, "obscure", "--", password], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@dataclass(frozen=True)
class SftpServer:
    """A running ``rclone serve sftp`` and how to reach it."""

    root: Path  # the folder it serves: what a client uploads lands here
    port: int
    user: str
    password: str
    obscured: str  # the password as rclone stores it
    rclone: str

    def env(self, name: str = "SF") -> dict[str, str]:
        """Environment variables that define remote ``name:`` (no config file entry needed)."""
        prefix = f"RCLONE_CONFIG_{name.upper()}_"
        return {
            prefix + "TYPE": "sftp",
            prefix + "HOST": HOST,
            prefix + "PORT": str(self.port),
            prefix + "USER": self.user,
            prefix + "PASS": self.obscured,
        }

    def config_text(self, name: str = "sf") -> str:
        """An rclone.conf section that defines remote ``name:``."""
        return (
            f"[{name}]\ntype = sftp\nhost = {HOST}\nport = {self.port}\n"
            f"user = {self.user}\npass = {self.obscured}\n"
        )


def _wait_listening(port: int, proc: subprocess.Popen[bytes], seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        if sys.platform == "win32":
            proc.terminate()
        else:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def serve_sftp(
    root: Path, *, rclone: str | None = None, user: str = "rearguard", password: str | None = None
) -> Iterator[SftpServer]:
    """Serve ``root`` over sftp on a free loopback port until the block ends."""
    rclone = rclone or find_rclone()
    password = password or "pw-" + secrets.token_urlsafe(12)
    root.mkdir(parents=True, exist_ok=True)
    obscured = obscure(rclone, password)
    for _ in range(5):  # another process may take the port between probing and binding
        port = free_port()
        argv = [
            rclone,
            "serve",
            "sftp",
            str(root),
            "--addr",
            f"{HOST}:{port}",
            "--user",
            user,
            "--pass",
            password,
            "--config",
            os.devnull,
        ]
        options: dict[str, object] = (
            {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
            if sys.platform == "win32"
            else {"start_new_session": True}
        )
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,  # type: ignore[call-overload]
            stderr=subprocess.DEVNULL,
            **options,
        )
        try:
            if _wait_listening(port, proc):
                yield SftpServer(root, port, user, password, obscured, rclone)
                return
        finally:
            _stop(proc)
    raise RuntimeError("rclone serve sftp did not start on a loopback port")


@pytest.fixture(scope="session")
def sftp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SftpServer]:
    """One loopback sftp server for the whole test session; tests use their own folders in it."""
    with serve_sftp(tmp_path_factory.mktemp("sftp-served")) as server:
        yield server
