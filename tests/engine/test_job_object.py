"""The Windows Job Object that holds a tool's tree: its structures everywhere, the real job on Windows."""

from __future__ import annotations

import ctypes
import subprocess
import sys

import pytest

from engine.tools import job_object


@pytest.mark.skipif(ctypes.sizeof(ctypes.c_void_p) != 8, reason="the sizes below are those of 64-bit Windows")
def test_the_limit_structure_has_windows_layout() -> None:
    assert ctypes.sizeof(job_object.IO_COUNTERS) == 48
    assert ctypes.sizeof(job_object.JOBOBJECT_BASIC_LIMIT_INFORMATION) == 64
    assert ctypes.sizeof(job_object.JOBOBJECT_EXTENDED_LIMIT_INFORMATION) == 144
    assert job_object.JOBOBJECT_BASIC_LIMIT_INFORMATION.LimitFlags.offset == 16


def test_the_job_ends_its_processes_when_closed_and_asks_nothing_else() -> None:
    info = job_object.kill_on_close_limits()
    assert info.BasicLimitInformation.LimitFlags == job_object.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE == 0x2000
    assert info.ProcessMemoryLimit == 0 and info.BasicLimitInformation.ActiveProcessLimit == 0


def test_no_job_outside_windows() -> None:
    assert job_object.contain(12345, platform="linux") is None
    assert job_object.contain(12345, platform="darwin") is None


@pytest.mark.skipif(sys.platform != "win32", reason="Job Objects exist on Windows only")
def test_closing_the_job_ends_the_whole_tree() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        job = job_object.contain(child.pid)
        assert job is not None
        job.close()
        child.wait(timeout=10)  # ends without being asked: the job took it along
    finally:
        if child.poll() is None:
            child.kill()
