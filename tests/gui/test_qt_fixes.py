"""The window survives a long session on any supported Qt binding (see gui/qt_fixes.py)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

from gui import qt_fixes


class _Source(QObject):
    changed = Signal()


def test_many_calls_and_signals_do_not_wear_out_none_or_true(qtbot) -> None:  # type: ignore[no-untyped-def]
    qt_fixes.install()
    label = QLabel()
    qtbot.addWidget(label)
    source = _Source()
    seen: list[int] = []
    source.changed.connect(lambda: seen.append(1))
    # On PySide6 6.12.0 + Python 3.11 without the guard, this aborts the whole test run
    # ("deallocating None"): more calls than None and True have references.
    for number in range(100_000):
        label.setText(str(number))
        source.changed.emit()
    assert len(seen) == 100_000
