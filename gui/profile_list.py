"""The profile list on the left: one two-line entry per profile with its state mark, kind,
schedule, last run (time and result) and next run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QIcon, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from engine.core.durations import parse_duration
from engine.core.folders import Folders
from engine.core.profiles import ProfileEntry, list_profiles
from engine.core.readback import describe_coverage, load_rotation
from engine.core.report import human_bytes
from engine.core.state import RunRow, StateDB
from engine.notify.alerts import counting_from
from engine.notify.overdue import profile_created
from engine.schedule.slots import History, next_run, waits_for_window
from engine.schedule.store import first_run, load_history
from gui.icons import state_icon
from gui.when import describe, parse_stamp

NAME_ROLE = Qt.ItemDataRole.UserRole + 1
LINE_ROLE = Qt.ItemDataRole.UserRole + 2
MARK_ROLE = Qt.ItemDataRole.UserRole + 3
KIND_ROLE = Qt.ItemDataRole.UserRole + 4
Index = QModelIndex | QPersistentModelIndex
STATUS_WORDS = {
    "ok": "ok",
    "failed": "failed",
    "refused": "refused",
    "cancelled": "cancelled",
    "unavailable": "tool unavailable",
    "interrupted": "interrupted",
    "running": "running",
    "stopped": "stopped at its window's end",
    "paused": "paused",
}


def schedule_words(every: str, at: str | None) -> str:
    """``every 4h``, ``daily 02:00``, ``weekly``: a schedule as short words."""
    interval = parse_duration(every)
    word = {timedelta(days=1): "daily", timedelta(days=7): "weekly"}.get(interval, f"every {every}")
    return f"{word} {at}" if at and word in ("daily", "weekly") else f"{word} from {at}" if at else word


@dataclass
class ProfileRow:
    """What the list and the header show about one profile."""

    entry: ProfileEntry
    last: RunRow | None = None
    last_good: RunRow | None = None
    next_run: datetime | None = None
    activity: str = ""  # "running 43 %", "previewing…" while the window runs it
    paused: bool = False  # all schedules are paused
    waits_for: datetime | None = None  # a run is due, but waits for its window to open
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def kind(self) -> str:
        return self.entry.profile.kind if self.entry.profile else "?"

    @property
    def schedule_text(self) -> str:
        profile = self.entry.profile
        if profile is None:
            return ""
        schedule = profile.spec.schedule
        if schedule is None:
            return "manual"
        words = schedule_words(schedule.every, schedule.at)
        return f"{words}, window {schedule.window}" if schedule.window else words

    @property
    def mark(self) -> str:
        """The state word for the mark: running, invalid, never, ok, failed, refused…"""
        if self.activity.startswith("queued"):
            return "queued"
        if self.activity.startswith("paused"):
            return "paused"
        if self.activity:
            return "running"
        if self.entry.error is not None:
            return "invalid"
        if self.last is None:
            return "never"
        return {"interrupted": "warning", "cancelled": "cancelled"}.get(self.last.status, self.last.status)

    def line(self, now: datetime) -> str:
        """The second line: what happened last and what comes next."""
        if self.entry.error is not None:
            problems = self.entry.error.problems
            return f"invalid file — {problems[0] if problems else self.entry.error}"
        if self.activity:
            return self.activity
        if self.last is None:
            last = "never run"
        else:
            word = STATUS_WORDS.get(self.last.status, self.last.status)
            if self.last.run_kind == "verify":
                word = "verified" if self.last.status == "ok" else f"verify {word}"
            last = f"{word} {describe(parse_stamp(self.last.started), now)}"
        if self.extra.get("os_scheduler"):
            return f"{last} · runs via {self.extra['os_scheduler']}"
        if self.next_run is not None and self.paused:
            return f"{last} · paused"
        if self.waits_for is not None and self.waits_for > now:
            return f"{last} · waits for {self.waits_for.astimezone():%H:%M}"
        if self.next_run is not None:
            return f"{last} · next {describe(self.next_run, now) if self.next_run > now else 'now'}"
        return last

    def last_good_text(self, now: datetime) -> str:
        good = self.last_good
        if good is None:
            return "never"
        return f"{describe(parse_stamp(good.started), now)} ({good.done:,} done, {human_bytes(good.bytes)})"


def gather_rows(folders: Folders, now: datetime) -> list[ProfileRow]:
    """Every profile with its last runs and next run, read from the profiles folder and state DB."""
    entries = list_profiles(folders)
    db = StateDB(folders.state_db) if folders.state_db.exists() else None
    rows = []
    try:
        for entry in entries:
            row = ProfileRow(entry)
            row.extra["created"] = profile_created(entry.path)
            first = first_run(db, entry.name) if db is not None else None
            row.extra["counting_from"] = counting_from(first, row.extra["created"])  # overdue counts from
            if db is not None:
                row.last = db.last_run(entry.name, run_kind=None)  # a verify that found damage shows too
                row.last_good = db.last_run(entry.name, good=True)
                rotation = load_rotation(db, entry.name)
                if rotation.last_sample is not None:
                    row.extra["readback"] = describe_coverage(rotation, now)
            schedule = entry.profile.spec.schedule if entry.profile is not None else None
            if schedule is not None:  # the scheduler's own rule (back-off, max_runs), until it ticks
                history = load_history(db, entry.name) if db is not None else History()
                row.next_run = next_run(schedule, history, now)
                row.waits_for = waits_for_window(schedule, history, now)
            rows.append(row)
    finally:
        if db is not None:
            db.close()
    return rows


class ProfileListModel(QAbstractListModel):
    """The rows of the profile list; updated in place so the selection survives a refresh."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[ProfileRow] = []
        self.now = datetime.now().astimezone()

    def set_rows(self, rows: list[ProfileRow], now: datetime) -> bool:
        """Show new rows; True when the list changed shape (and the selection was lost)."""
        self.now = now
        if [r.name for r in rows] == [r.name for r in self.rows]:
            self.rows = rows
            if rows:
                self.dataChanged.emit(self.index(0), self.index(len(rows) - 1))
            return False
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()
        return True

    def row_for(self, name: str) -> int:
        for number, row in enumerate(self.rows):
            if row.name == name:
                return number
        return -1

    def set_activity(self, name: str, activity: str) -> None:
        number = self.row_for(name)
        if number >= 0 and self.rows[number].activity != activity:
            self.rows[number].activity = activity
            self.dataChanged.emit(self.index(number), self.index(number))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, NAME_ROLE):
            return row.name
        if role == LINE_ROLE:
            return row.line(self.now)
        if role == MARK_ROLE:
            return row.mark
        if role == KIND_ROLE:
            return " · ".join(t for t in (row.kind, row.schedule_text) if t)
        if role == Qt.ItemDataRole.DecorationRole:
            return state_icon(row.mark)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            text = f"{row.name} ({row.kind}, {row.schedule_text}): {row.line(self.now)}"
            if row.entry.profile is not None and row.entry.profile.spec.description:
                text += f"\n{row.entry.profile.spec.description}"
            return text
        return None


class ProfileDelegate(QStyledItemDelegate):
    """Two lines per profile: mark, name and kind; then last and next run in a muted colour."""

    PADDING = 6
    ICON = 20

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        metrics = QFontMetrics(option.font)
        return QSize(200, metrics.height() * 2 + self.PADDING * 2 + 4)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        opt.icon = QIcon()  # the mark is drawn below, at its own size
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        group = (
            QPalette.ColorGroup.Active
            if opt.state & QStyle.StateFlag.State_Active
            else QPalette.ColorGroup.Inactive
        )
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        rect = opt.rect.adjusted(self.PADDING, self.PADDING, -self.PADDING, -self.PADDING)
        metrics = QFontMetrics(opt.font)
        line_h = metrics.height()
        icon_rect = QRect(rect.left(), rect.top() + (line_h - self.ICON) // 2 + 1, self.ICON, self.ICON)
        state_icon(str(index.data(MARK_ROLE))).paint(painter, icon_rect)
        text_left = rect.left() + self.ICON + self.PADDING
        painter.save()
        bold = QFont(opt.font)
        bold.setBold(True)
        width = rect.right() - text_left
        name_w = QFontMetrics(bold).horizontalAdvance(str(index.data(NAME_ROLE))) + self.PADDING
        kind_room = max(width - name_w, width // 2)  # the name keeps at least half the line
        kind = metrics.elidedText(str(index.data(KIND_ROLE) or ""), Qt.TextElideMode.ElideRight, kind_room)
        kind_w = metrics.horizontalAdvance(kind)
        name_rect = QRect(text_left, rect.top(), rect.right() - text_left - kind_w - self.PADDING, line_h)
        painter.setFont(bold)
        painter.setPen(opt.palette.color(group, text_role))
        name = QFontMetrics(bold).elidedText(
            str(index.data(NAME_ROLE)), Qt.TextElideMode.ElideRight, name_rect.width()
        )
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        painter.setFont(opt.font)
        muted = opt.palette.color(group, text_role if selected else QPalette.ColorRole.PlaceholderText)
        painter.setPen(muted)
        painter.drawText(
            QRect(rect.right() - kind_w, rect.top(), kind_w, line_h),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            kind,
        )
        second = QRect(text_left, rect.top() + line_h + 4, rect.right() - text_left, line_h)
        line = metrics.elidedText(
            str(index.data(LINE_ROLE) or ""), Qt.TextElideMode.ElideRight, second.width()
        )
        painter.drawText(second, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, line)
        painter.restore()
