"""Registering a task through the Task Scheduler COM API (pywin32), so the account's password stays
in this process: ``schtasks /RP PASSWORD`` would put it on a command line that any local user can
read while it runs.

``register_call`` (what to register, without the password) and ``describe_failure`` (an error a
person can act on) are pure and tested everywhere; ``register`` makes the COM calls and runs on
Windows only (pywin32 is a Windows-only dependency).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from engine.core.errors import ToolUnavailable

# taskschd.h: TASK_CREATION and TASK_LOGON_TYPE
TASK_CREATE_OR_UPDATE = 6
TASK_LOGON_PASSWORD = 1
TASK_LOGON_S4U = 2
TASK_LOGON_SERVICE_ACCOUNT = 5
_LOGON_TYPES = {
    "Password": TASK_LOGON_PASSWORD,
    "S4U": TASK_LOGON_S4U,
    "ServiceAccount": TASK_LOGON_SERVICE_ACCOUNT,
}

# HRESULTs worth their own words (as signed 32-bit numbers, the way pywin32 reports them)
E_ACCESSDENIED = -2147024891  # 0x80070005
LOGON_FAILURE = -2147023570  # 0x8007052E: unknown user name or bad password
SCHED_E_MALFORMEDXML = -2147216614  # 0x8004131A
SCHED_E_INVALIDVALUE = -2147216615  # 0x80041319 (e.g. a repetition longer than its duration)


@dataclass(frozen=True)
class RegisterCall:
    """``ITaskFolder::RegisterTask`` in ``folder``: everything but the password."""

    folder: str  # "\\Rearguard"
    name: str  # the task's name inside the folder
    xml: str
    user: str | None
    logon_type: int
    flags: int = TASK_CREATE_OR_UPDATE


def register_call(task_path: str, xml: str, *, user: str | None, logon: str) -> RegisterCall:
    """What to register for ``task_path`` (``\\Rearguard\\night``) with the task's logon type."""
    folder, _, name = task_path.rstrip("\\").rpartition("\\")
    if not name:
        raise ValueError(f"{task_path!r} has no task name")
    return RegisterCall(folder or "\\", name, xml, user, _LOGON_TYPES[logon])


def describe_failure(hresult: int, text: str) -> str:
    """One line for a failed registration: what went wrong and what to do."""
    if hresult == E_ACCESSDENIED:
        return "no rights to register the task; run from an administrator prompt"
    if hresult == LOGON_FAILURE:
        return "Windows refused the account's user name or password; run the install again and retype it"
    if hresult in (SCHED_E_MALFORMEDXML, SCHED_E_INVALIDVALUE):
        return f"Task Scheduler refused the task definition ({text}); please report this"
    return f"Task Scheduler refused the task: {text} (0x{hresult & 0xFFFFFFFF:08X})"


def register(call: RegisterCall, password: str | None) -> None:
    """Register (or replace) the task; the password goes to the COM call only. Windows only."""
    if sys.platform != "win32":
        raise ToolUnavailable("Task Scheduler exists only on Windows")
    import pythoncom
    import pywintypes
    import win32com.client

    pythoncom.CoInitialize()
    try:
        service = win32com.client.Dispatch("Schedule.Service")
        service.Connect()
        try:
            folder = service.GetFolder(call.folder)
        except pywintypes.com_error:
            folder = service.GetFolder("\\").CreateFolder(call.folder)
        folder.RegisterTask(call.name, call.xml, call.flags, call.user, password, call.logon_type)
    except pywintypes.com_error as error:
        hresult, text = _com_error_parts(error)
        raise ToolUnavailable(describe_failure(hresult, text)) from None
    finally:
        pythoncom.CoUninitialize()


def _com_error_parts(error: BaseException) -> tuple[int, str]:
    """(HRESULT, message) of a pywintypes.com_error; the task's own error sits in its excepinfo."""
    args = list(getattr(error, "args", ()))
    hresult = args[0] if args and isinstance(args[0], int) else 0
    text = str(args[1]) if len(args) > 1 else str(error)
    excepinfo = args[2] if len(args) > 2 else None
    if isinstance(excepinfo, tuple) and len(excepinfo) > 5:
        if isinstance(excepinfo[5], int) and excepinfo[5]:
            hresult = excepinfo[5]
        if excepinfo[2]:
            text = str(excepinfo[2]).strip()
    return hresult, text
