"""Windows tells its windows when the computer goes to sleep and wakes (WM_POWERBROADCAST); a
native event filter passes "resumed" to the scheduler, which then waits a minute for the network
before catching up, as it does after a wall-clock jump. Elsewhere (and as a second witness on
Windows) the scheduler's ClockWatch sees the sleep.

``power_event`` is pure; the filter reads the MSG that Qt's Windows plugin hands over.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from collections.abc import Callable

from PySide6.QtCore import QAbstractNativeEventFilter, QByteArray, QCoreApplication

log = logging.getLogger("rearguard.gui")

WM_POWERBROADCAST = 0x0218
PBT_APMSUSPEND = 0x0004
PBT_APMRESUMESUSPEND = 0x0007  # resumed after a user's action
PBT_APMRESUMEAUTOMATIC = 0x0012  # resumed, whoever woke it (always sent)
_WINDOWS_MSG = b"windows_generic_MSG"


def power_event(message: int, wparam: int) -> str | None:
    """``"suspend"``, ``"resume"`` or None for one window message."""
    if message != WM_POWERBROADCAST:
        return None
    if wparam == PBT_APMSUSPEND:
        return "suspend"
    if wparam in (PBT_APMRESUMEAUTOMATIC, PBT_APMRESUMESUSPEND):
        return "resume"
    return None


class _Msg(ctypes.Structure):
    """The start of Windows' MSG: hwnd, message, wParam (what the filter reads)."""

    _fields_ = [("hwnd", ctypes.c_void_p), ("message", ctypes.c_uint), ("wParam", ctypes.c_size_t)]


class PowerEventFilter(QAbstractNativeEventFilter):
    """Calls ``on_resume`` when Windows says the computer resumed (a second message of the same
    wake only restarts the grace a few seconds later)."""

    def __init__(self, on_resume: Callable[[], None]) -> None:
        super().__init__()
        self.on_resume = on_resume

    def nativeEventFilter(self, event_type: QByteArray | bytes, message: int) -> tuple[bool, int]:
        if bytes(event_type) == _WINDOWS_MSG and message:
            msg = _Msg.from_address(int(message))
            if power_event(msg.message, msg.wParam) == "resume":
                log.info("Windows says the computer woke from sleep")
                self.on_resume()
        return False, 0


def watch(on_resume: Callable[[], None], platform: str = sys.platform) -> PowerEventFilter | None:
    """Install the filter on the running app (Windows only); keep the result alive while it watches."""
    app = QCoreApplication.instance()
    if platform != "win32" or app is None:
        return None
    found = PowerEventFilter(on_resume)
    app.installNativeEventFilter(found)
    return found


def unwatch(found: PowerEventFilter | None) -> None:
    app = QCoreApplication.instance()
    if found is not None and app is not None:
        app.removeNativeEventFilter(found)
