"""The header above the tabs: the facts a user checks every morning about the selected profile."""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QCheckBox, QGridLayout, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from gui.icons import state_icon
from gui.profile_list import STATUS_WORDS, ProfileRow
from gui.when import describe, describe_age, parse_stamp

UNSCHEDULED_ALERT = timedelta(days=7)  # no good run for this long is worth a warning anyway


def overdue_after(row: ProfileRow) -> timedelta | None:
    """How long without a good run before the header warns: twice the schedule, else a week."""
    profile = row.entry.profile
    if profile is None:
        return None
    schedule = profile.spec.schedule
    return 2 * schedule.interval if schedule is not None else UNSCHEDULED_ALERT


class ProfileHeader(QWidget):
    """Name, kind and description; last good run, last run, next run, time since a good run."""

    alert_days_changed = Signal(int)
    os_schedule_toggled = Signal(bool)  # "Run even when I'm not logged in"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.alert_days = 0
        self.alert_spin = QSpinBox()
        self.alert_spin.setRange(0, 365)
        self.alert_spin.setSpecialValueText("never")
        self.alert_spin.setSuffix(" days")
        self.alert_spin.setToolTip("Alert when this profile has had no good run for this long (0: never)")
        self.alert_spin.setAccessibleName("No good run alert")
        self.alert_spin.setKeyboardTracking(False)
        self.alert_spin.valueChanged.connect(self._spin_changed)
        alert_label = QLabel("No good run &alert:")
        alert_label.setBuddy(self.alert_spin)
        self.alert_row = QWidget()
        alert_box = QHBoxLayout(self.alert_row)
        alert_box.setContentsMargins(0, 0, 0, 0)
        alert_box.addWidget(alert_label)
        alert_box.addWidget(self.alert_spin)
        alert_box.addStretch(1)
        self.os_switch = QCheckBox("Run even when I'm &not logged in")
        self.os_switch.setToolTip(
            "Let the system's scheduler (Task Scheduler, systemd) run this profile on its schedule,\n"
            "whether or not anyone is logged in; the app then leaves this profile's schedule to it."
        )
        self.os_switch.toggled.connect(self.os_schedule_toggled)
        self.mark = QLabel()
        self.title = QLabel()
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subtitle = QLabel()
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.last_good = QLabel()
        self.last_run = QLabel()
        self.next = QLabel()
        self.age = QLabel()
        for label in (self.last_good, self.last_run, self.next, self.age):
            label.setWordWrap(True)  # a long line wraps: the header never widens the window
        top = QHBoxLayout()
        top.addWidget(self.mark)
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(self.subtitle)
        grid = QGridLayout()
        grid.setHorizontalSpacing(24)
        grid.addWidget(self.last_good, 0, 0)
        grid.addWidget(self.next, 0, 1)
        grid.addWidget(self.last_run, 1, 0)
        grid.addWidget(self.age, 1, 1)
        grid.addWidget(self.os_switch, 2, 0)
        grid.addWidget(self.alert_row, 2, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(grid)
        self.show_nothing()

    def _set_mark(self, state: str) -> None:
        self.mark.setPixmap(state_icon(state).pixmap(24, 24))

    def show_nothing(self) -> None:
        self._set_mark("never")
        self.title.setText("No profile selected")
        self.subtitle.setText("")
        self.last_good.setText("Create one with New (Ctrl+N).")
        for label in (self.last_run, self.next, self.age):
            label.setText("")
        self.alert_row.hide()
        self.os_switch.hide()

    def show_draft(self, kind: str) -> None:
        self._set_mark("never")
        self.title.setText(f"New {kind} profile")
        self.subtitle.setText("not saved yet")
        self.last_good.setText("Fill in the Settings and press Save (Ctrl+S).")
        for label in (self.last_run, self.next, self.age):
            label.setText("")
        self.alert_row.hide()
        self.os_switch.hide()

    def _spin_changed(self, days: int) -> None:
        if days != self.alert_days:
            self.alert_days = days
            self.alert_days_changed.emit(days)

    def show_row(self, row: ProfileRow, now: datetime, alert_days: int = 0) -> None:
        self.alert_days = alert_days
        self.alert_spin.blockSignals(True)
        self.alert_spin.setValue(alert_days)
        self.alert_spin.blockSignals(False)
        self._set_mark(row.mark)
        self.title.setText(row.name)
        profile = row.entry.profile
        if profile is None:
            self.subtitle.setText("invalid profile file")
            self.last_good.setText(f"File: {row.entry.path}")
            self.last_run.setText("Fix it in Settings (the problems are listed there).")
            self.next.setText("")
            self.age.setText("")
            self.alert_row.hide()
            self.os_switch.hide()
            return
        self.alert_row.show()
        description = profile.spec.description
        self.subtitle.setText(" · ".join(t for t in (profile.kind, row.schedule_text, description) if t))
        readback = row.extra.get("readback")
        self.last_good.setText(
            f"Last good run: {row.last_good_text(now)}" + (f" · read back: {readback}" if readback else "")
        )
        if row.activity:
            self.last_run.setText(f"Now: {row.activity}")
        elif row.last is None:
            self.last_run.setText("Last run: never")
        else:
            word = STATUS_WORDS.get(row.last.status, row.last.status)
            when = describe(parse_stamp(row.last.started), now)
            extra = f" ({row.last.failed} failed)" if row.last.failed else ""
            self.last_run.setText(f"Last run: {when} — {word}{extra}")
        self._show_os_switch(row, profile.spec.schedule is not None)
        if row.extra.get("os_scheduler"):
            self.next.setText(f"Next run: by {row.extra['os_scheduler']}, logged in or not")
        elif row.next_run is None:
            self.next.setText("Next run: only when asked (no schedule)")
        elif row.paused:
            self.next.setText("Next run: paused (all schedules are paused)")
        elif row.waits_for is not None and row.waits_for > now and profile.spec.schedule is not None:
            self.next.setText(
                f"Next run: waits for {row.waits_for.astimezone():%H:%M} "
                f"(window {profile.spec.schedule.window}) — {describe(row.waits_for, now)}"
            )
        else:
            self.next.setText(f"Next run: {describe(row.next_run, now) if row.next_run > now else 'due now'}")
        self._show_age(row, now)

    def _show_os_switch(self, row: ProfileRow, scheduled: bool) -> None:
        self.os_switch.setVisible(scheduled)
        self.os_switch.blockSignals(True)
        self.os_switch.setChecked(bool(row.extra.get("os_scheduler")))
        self.os_switch.blockSignals(False)

    def _show_age(self, row: ProfileRow, now: datetime) -> None:
        limit = timedelta(days=self.alert_days) if self.alert_days else overdue_after(row)
        good = parse_stamp(row.last_good.started) if row.last_good else None
        if good is None:  # counted from the profile's creation or first run, never from the epoch
            since = row.extra.get("counting_from")
            waited = now - since if isinstance(since, datetime) else None
            overdue = limit is not None and waited is not None and waited > limit
            text = "No good run yet" + (f" (for {describe_age(waited)})" if overdue and waited else "")
        else:
            age = now - good
            overdue = limit is not None and age > limit
            text = f"Since the last good run: {describe_age(age)}"
        if overdue:
            self.age.setText(f"⚠ {text} — overdue")
            self.age.setStyleSheet("color: #c62828; font-weight: bold;")
        else:
            self.age.setText(text)
            self.age.setStyleSheet("")
