"""A command ends its process at once (``end_process``), with everything a normal exit would do."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=cwd, timeout=60
    )


@pytest.mark.parametrize("code", [0, 3])
def test_exit_handlers_run_and_output_is_flushed(tmp_path: Path, code: int) -> None:
    log = tmp_path / "daily.log"
    done = _python(
        f"""
        import atexit, logging, sys
        from engine.cli import end_process
        handler = logging.FileHandler({str(log)!r})
        logging.getLogger("rearguard").addHandler(handler)
        logging.getLogger("rearguard").warning("the run's last line")
        atexit.register(lambda: print("handler ran", file=sys.stderr))
        print('{{"status": "ok"}}', end="")  # no newline: still buffered when the process ends
        sys.stderr.write("and the last error line")
        end_process({code})
        print("never")
        """,
        tmp_path,
    )
    assert done.returncode == code
    assert done.stdout == '{"status": "ok"}'
    assert done.stderr == "and the last error linehandler ran\n"
    assert log.read_text() == "the run's last line\n"  # logging's own exit handler flushed and closed it


def test_a_thread_still_running_is_waited_for(tmp_path: Path) -> None:
    done = _python(
        """
        import threading, time
        from engine.cli import end_process
        threading.Thread(target=lambda: (time.sleep(0.3), print("the thread finished"))).start()
        end_process(4)
        """,
        tmp_path,
    )
    assert (done.returncode, done.stdout) == (4, "the thread finished\n")


def test_python_m_engine_ends_with_the_command_s_code(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "engine", "run", str(tmp_path / "missing.toml")],
        capture_output=True,
        text=True,
        env={**os.environ, "REARGUARD_HOME": str(tmp_path / "home")},
        timeout=60,
    )
    assert done.returncode == 2 and done.stderr.startswith("rearguard: ") and done.stdout == ""


def test_the_rearguard_program_ends_a_command_the_same_way(tmp_path: Path) -> None:
    env = {**os.environ, "REARGUARD_HOME": str(tmp_path / "home")}
    argv = [sys.executable, "-m", "gui.launcher", "--version"]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("rearguard ")
    missing = subprocess.run(
        [sys.executable, "-m", "gui.launcher", "run", str(tmp_path / "missing.toml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert missing.returncode == 2 and missing.stderr.startswith("rearguard: ")
