from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


class CLIResult:
    def __init__(self, proc: subprocess.CompletedProcess[str]) -> None:
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self) -> Any:
        return json.loads(self.out)


CLI = Callable[..., CLIResult]


@pytest.fixture
def cli(home: Path) -> CLI:
    """Run ``python -m engine ARGS`` as a user would, in a fresh process."""

    def run(
        *args: str, env: dict[str, str] | None = None, timeout: float = 60, stdin: str | None = None
    ) -> CLIResult:
        full_env = {**os.environ, "REARGUARD_HOME": str(home), **(env or {})}
        proc = subprocess.run(
            [sys.executable, "-m", "engine", *args],
            capture_output=True,
            input=stdin,
            text=True,
            env=full_env,
            cwd=ROOT,
            timeout=timeout,
            check=False,
        )
        return CLIResult(proc)

    return run


def write_profile(home: Path, name: str, text: str) -> Path:
    folder = home / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path
