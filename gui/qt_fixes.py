"""A guard against a reference-count bug in the Qt binding, applied only where the bug is present.

PySide6 6.12.0 returns ``None`` from every void method, and ``True``/``False`` from some (``emit``,
``disconnect``), without taking a reference for the caller, as if the binding were built for
Python 3.12+, where these objects are immortal. On Python 3.11 each such call takes a reference
from them for good: after a few hundred signal emits (or some thousands of ``setText`` calls)
Python aborts with "deallocating None" / "deallocating True or False". PySide6 6.11.2 is fine.

``install()`` measures the binding once; only if it takes references away does it give ``None``,
``True`` and ``False`` the effectively endless reference count Python 3.12 gives them.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

_PROBES = 8
_IMMORTAL = 1 << 40  # references to spare: about a trillion stolen ones before it could matter
_installed: bool | None = None


class _Probe(QObject):
    fired = Signal()


def _noop() -> None:
    pass


def singletons_leak() -> bool:
    """True when calling the binding takes references from ``None`` or ``True`` and keeps them."""
    probe = _Probe()
    probe.fired.connect(_noop)
    nones, trues = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(_PROBES):
        probe.setObjectName("probe")  # a void method: returns None
        probe.fired.emit()  # returns True
    return sys.getrefcount(None) <= nones - _PROBES or sys.getrefcount(True) <= trues - _PROBES


def install() -> bool:
    """Apply the guard if this binding needs it (once); returns whether it is active."""
    global _installed
    if _installed is None:
        _installed = sys.version_info < (3, 12) and singletons_leak()
        if _installed:
            for singleton in (None, True, False):
                ctypes.c_ssize_t.from_address(id(singleton)).value += _IMMORTAL
    return _installed
