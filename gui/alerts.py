"""Alerts as people see them: a desktop notification (the tray's message) for each new problem,
and a banner in the window listing what needs attention now.

The rules are in ``engine.notify.alerts``; the "no good run for N days" threshold is a per-profile app
setting (``engine.core.app_settings``), default 3 days.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from engine.core.app_settings import AppSettings
from engine.core.folders import Folders
from engine.core.state import StateDB
from engine.notify.alerts import Alert, run_alert, stale_alert
from engine.schedule.store import first_run
from gui.profile_list import ProfileRow
from gui.when import parse_stamp

Notifier = Callable[[str, str], None]


class Banner(QFrame):
    """A coloured strip above the tabs with a short text and a dismiss button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alertBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setToolTip("Hide until something new happens")
        self.close_button.setAccessibleName("Dismiss")
        self.close_button.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button)
        self.dismissed: set[str] = set()  # texts the user closed: hidden until something new
        self.hide()

    def show_text(self, text: str, *, warning: bool = True) -> None:
        if not text or text in self.dismissed:
            self.hide()
            return
        back, fore = ("#fdecea", "#8a1c1c") if warning else ("#e8f0fb", "#17406d")
        self.setStyleSheet(
            f"#alertBanner {{ background: {back}; border: 1px solid {fore}; border-radius: 3px; }}"
            f" #alertBanner QLabel {{ color: {fore}; }}"
        )
        self.label.setText(("⚠ " if warning else "ℹ ") + text)
        self.show()

    def dismiss(self) -> None:
        self.dismissed.add(self.label.text()[2:])
        self.hide()


class AlertCenter(QObject):
    """Works out the current alerts from the profile rows; tells each new one once."""

    raised = Signal(object)  # Alert, the first time it is seen

    def __init__(self, folders: Folders, settings: AppSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folders = folders
        self.settings = settings
        self.seen: set[str] = set()
        self.current: list[Alert] = []
        self.notifier: Notifier | None = None  # the tray's message, when there is a tray

    def check(self, rows: Iterable[ProfileRow], now: datetime) -> list[Alert]:
        """Recompute the alerts; new ones are notified (and emitted). Returns the current ones."""
        alerts: list[Alert] = []
        db = StateDB(self.folders.state_db) if self.folders.state_db.exists() else None
        try:
            for row in rows:
                if row.entry.profile is None or (row.activity and not row.activity.startswith("queued")):
                    continue
                if row.last is not None:
                    last = row.last
                    first = last.failures[0] if last.failures else None
                    why = last.reason or (f"{first['path']}: {first['message']}" if first else None)
                    found = run_alert(row.name, last.id, last.status, why, last.run_kind)
                    if found is not None:
                        alerts.append(found)
                good = parse_stamp(row.last_good.started) if row.last_good else None
                first = first_run(db, row.name) if db is not None and good is None else None
                days = self.settings.alert_after_days(row.name)
                stale = stale_alert(row.name, good, first, now, days, row.extra.get("created"))
                if stale is not None:
                    alerts.append(stale)
        finally:
            if db is not None:
                db.close()
        self.current = alerts
        for alert in alerts:
            if alert.key not in self.seen:
                self.seen.add(alert.key)
                if self.notifier is not None:
                    self.notifier(alert.title, alert.text)
                self.raised.emit(alert)
        return alerts

    def text_for(self, profile: str) -> str:
        """What needs attention about one profile (each of its current alerts, a line each)."""
        return "\n".join(alert.text for alert in self.current if alert.profile == profile)

    def banner_text(self) -> str:
        """One line per profile that needs attention (its most telling alert)."""
        lines: dict[str, str] = {}
        for alert in self.current:
            lines.setdefault(alert.profile, alert.text)
        return "\n".join(lines.values())
