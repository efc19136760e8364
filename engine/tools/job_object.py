"""A Windows Job Object that holds a tool's whole process tree: closing it, or Rearguard ending for
any reason, ends every process in it, so a child that outlives the tool that started it (an
rclone helper, a RevitServerTool worker) cannot run on unseen.

The structures and flags are plain ctypes and tested on every OS; creating and using the job
calls kernel32 and happens on Windows only (``contain`` returns None elsewhere, where the tool's
process group plays this part).
"""

from __future__ import annotations

import ctypes
import logging
import sys
from typing import Any

log = logging.getLogger("rearguard.process")

JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x00002000
JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS = 9  # JobObjectExtendedLimitInformation
PROCESS_TERMINATE = 0x0001
PROCESS_SET_QUOTA = 0x0100


class IO_COUNTERS(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in ("Read", "Write", "Other")] + [
        (f"{name}TransferCount", ctypes.c_uint64) for name in ("Read", "Write", "Other")
    ]


class JOBOBJECT_BASIC_LIMIT_INFORMATION(ctypes.Structure):
    _fields_ = [
        ("PerProcessUserTimeLimit", ctypes.c_int64),
        ("PerJobUserTimeLimit", ctypes.c_int64),
        ("LimitFlags", ctypes.c_uint32),
        ("MinimumWorkingSetSize", ctypes.c_size_t),
        ("MaximumWorkingSetSize", ctypes.c_size_t),
        ("ActiveProcessLimit", ctypes.c_uint32),
        ("Affinity", ctypes.c_size_t),  # ULONG_PTR
        ("PriorityClass", ctypes.c_uint32),
        ("SchedulingClass", ctypes.c_uint32),
    ]


class JOBOBJECT_EXTENDED_LIMIT_INFORMATION(ctypes.Structure):
    _fields_ = [
        ("BasicLimitInformation", JOBOBJECT_BASIC_LIMIT_INFORMATION),
        ("IoInfo", IO_COUNTERS),
        ("ProcessMemoryLimit", ctypes.c_size_t),
        ("JobMemoryLimit", ctypes.c_size_t),
        ("PeakProcessMemoryUsed", ctypes.c_size_t),
        ("PeakJobMemoryUsed", ctypes.c_size_t),
    ]


def kill_on_close_limits() -> JOBOBJECT_EXTENDED_LIMIT_INFORMATION:
    """The job's only limit: every process in it ends when the last handle to the job closes."""
    info = JOBOBJECT_EXTENDED_LIMIT_INFORMATION()
    info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
    return info


def _last_error() -> int:
    if sys.platform == "win32":
        return ctypes.get_last_error()
    return 0


def _kernel32() -> Any:
    if sys.platform != "win32":
        raise OSError("Job Objects exist on Windows only")
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    handle = ctypes.c_void_p
    kernel32.CreateJobObjectW.restype = handle
    kernel32.CreateJobObjectW.argtypes = [ctypes.c_void_p, ctypes.c_wchar_p]
    kernel32.SetInformationJobObject.argtypes = [handle, ctypes.c_int, ctypes.c_void_p, ctypes.c_uint32]
    kernel32.OpenProcess.restype = handle
    kernel32.OpenProcess.argtypes = [ctypes.c_uint32, ctypes.c_int, ctypes.c_uint32]
    kernel32.AssignProcessToJobObject.argtypes = [handle, handle]
    kernel32.TerminateJobObject.argtypes = [handle, ctypes.c_uint]
    kernel32.CloseHandle.argtypes = [handle]
    return kernel32


class JobObject:
    """One job holding one tool's tree (Windows only)."""

    def __init__(self) -> None:
        self._k = _kernel32()
        self._handle = self._k.CreateJobObjectW(None, None)
        if not self._handle:
            raise OSError(_last_error(), "CreateJobObject failed")
        info = kill_on_close_limits()
        if not self._k.SetInformationJobObject(
            self._handle, JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS, ctypes.byref(info), ctypes.sizeof(info)
        ):
            self.close()
            raise OSError(_last_error(), "SetInformationJobObject failed")

    def add(self, pid: int) -> None:
        """Put process ``pid`` (and so every process it starts from now on) into the job."""
        process = self._k.OpenProcess(PROCESS_SET_QUOTA | PROCESS_TERMINATE, False, pid)
        if not process:
            raise OSError(_last_error(), f"OpenProcess({pid}) failed")
        try:
            if not self._k.AssignProcessToJobObject(self._handle, process):
                raise OSError(_last_error(), "AssignProcessToJobObject failed")
        finally:
            self._k.CloseHandle(process)

    def terminate(self, exit_code: int = 1) -> None:
        """End every process still in the job."""
        if self._handle:
            self._k.TerminateJobObject(self._handle, exit_code)

    def close(self) -> None:
        """Close the job: whatever still runs in it ends (kill on close)."""
        if self._handle:
            self._k.CloseHandle(self._handle)
            self._handle = None


def contain(pid: int, platform: str = sys.platform) -> JobObject | None:
    """A job holding ``pid``'s tree on Windows; None elsewhere, or when Windows refuses one (logged)."""
    if platform != "win32":
        return None
    try:
        job = JobObject()
    except OSError as error:
        log.debug("no job object for the tool: %s", error)
        return None
    try:
        job.add(pid)
    except OSError as error:
        log.debug("the tool could not join its job object: %s", error)
        job.close()
        return None
    return job
