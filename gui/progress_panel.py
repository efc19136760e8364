"""The Progress tab: overall bar and numbers, the live tree (or a preview's planned actions), a banner
for refusals and errors, and the report when a run ends."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from engine.core.plan import ActionKind, Plan
from engine.core.report import human_bytes
from engine.core.state import RunRow
from gui.icons import state_icon
from gui.model_list import ModelList
from gui.progress_model import ALIGN_LEFT, ALIGNMENT, PROGRESS, ProgressModel, percent
from gui.progress_view import ProgressTreeView
from gui.report_view import ReportView
from gui.run_worker import RunResult, RunSession
from gui.when import describe, describe_eta, describe_speed, parse_stamp

Index = QModelIndex | QPersistentModelIndex
TRIGGER_WORDS = {
    "gui": "started in the window",
    "cli": "started from the command line",
    "manual": "started by hand",
    "schedule": "on schedule",
}
PLAN_WORDS = {
    ActionKind.COPY: "copy",
    ActionKind.REPLACE: "replace",
    ActionKind.DELETE: "delete",
    ActionKind.UPLOAD: "upload",
    ActionKind.EXPORT: "export",
}


def plan_summary(plan: Plan) -> str:
    """``would copy 120 (3.2 MB), replace 3 (1.0 MB), delete 2`` — or that nothing needs doing."""
    parts = []
    for kind, word in PLAN_WORDS.items():
        actions = [a for a in plan.actions if a.kind is kind]
        if actions:
            size = sum(a.bytes for a in actions)
            parts.append(f"{word} {len(actions)}" + (f" ({human_bytes(size)})" if size else ""))
    if not parts:
        return "Nothing to do: the target is up to date."
    text = "Would " + ", ".join(parts) + "."
    if plan.notes:
        text += f" {len(plan.notes)} entr{'ies' if len(plan.notes) > 1 else 'y'} left alone (see the tree)."
    return text


class TreeDelegate(QStyledItemDelegate):
    """Paints each cell straight from the tree, with a native progress bar in the Progress column.

    One call into Python per cell instead of one per data role: every such call waits for the
    interpreter lock, which a run's copy threads keep busy, so fewer calls mean shorter stalls.
    """

    def paint(self, painter, option: QStyleOptionViewItem, index: Index) -> None:  # type: ignore[no-untyped-def]
        model = index.model()
        if not isinstance(model, ProgressModel):
            super().paint(painter, option, index)
            return
        node = index.internalPointer()
        column = index.column()
        opt = QStyleOptionViewItem(option)
        style = opt.widget.style() if opt.widget else QApplication.style()
        value = percent(node) if column == PROGRESS else -1
        if value < 0:
            opt.text = model.text(node, column)
            opt.features |= QStyleOptionViewItem.ViewItemFeature.HasDisplay
            icon = model.icon(node, column)
            if icon is not None:
                opt.icon = icon
                opt.features |= QStyleOptionViewItem.ViewItemFeature.HasDecoration
            opt.displayAlignment = ALIGNMENT.get(column, ALIGN_LEFT)
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        if value >= 0:
            bar = QStyleOptionProgressBar()
            bar.rect = option.rect.adjusted(2, 3, -2, -3)
            bar.minimum, bar.maximum, bar.progress = 0, 100, value
            bar.text = f"{value} %"
            bar.textVisible = True
            bar.textAlignment = Qt.AlignmentFlag.AlignCenter
            bar.state = option.state | QStyle.StateFlag.State_Horizontal
            bar.palette = option.palette
            style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, opt.widget)


class Banner(QWidget):
    """A framed line with a mark: refusals, errors and notices, never colour alone."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.mark = QLabel()
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.addWidget(self.mark, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.text, 1)
        self.hide()

    def show_message(self, state: str, text: str) -> None:
        colour = {"refused": "217,130,43", "warning": "217,130,43", "failed": "198,40,40"}.get(
            state, "31,111,209"
        )
        self.setStyleSheet(
            f"#banner {{ border: 1px solid rgb({colour}); border-radius: 4px;"
            f" background: rgba({colour},0.10); }}"
        )
        self.mark.setPixmap(state_icon(state).pixmap(24, 24))
        self.text.setText(text)
        self.show()


class ProgressPanel(QWidget):
    """Shows one RunSession (or, with none, what to do next)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: RunSession | None = None
        self.banner = Banner()
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.setAccessibleName("Overall progress")
        self.numbers = QLabel()
        self.numbers.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tree = ProgressTreeView()  # its columns fit the width: no sideways scrolling
        self.tree.setItemDelegate(TreeDelegate(self.tree))
        self.tree.expanded.connect(self._expanded)
        self.models = ModelList()  # a Revit preview: every model in one sortable list, with reasons
        self.models.hide()
        self.report = ReportView()
        self.report.hide()
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.tree)
        self.split.addWidget(self.models)
        self.split.addWidget(self.report)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        self.split.setChildrenCollapsible(False)
        self.empty = QLabel()
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        running = QWidget()
        box = QVBoxLayout(running)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.title)
        box.addWidget(self.bar)
        box.addWidget(self.numbers)
        box.addWidget(self.split, 1)
        self.stack.addWidget(running)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)
        self.show_idle()

    # -- what is shown ----------------------------------------------------------------------------

    def show_idle(self) -> None:
        """Nothing has run (or been previewed) for this profile yet."""
        self._detach()
        self.banner.hide()
        self.empty.setText(
            "Nothing has run here yet.\n\nRun now (F5) backs up this profile; "
            "Preview (F6) shows what a run would do without changing anything."
        )
        self.stack.setCurrentIndex(0)

    def show_last(self, name: str, run: RunRow, now: datetime) -> None:
        """No run since the window opened: show the last one's report from the history."""
        self._detach()
        self.banner.hide()
        when = describe(parse_stamp(run.started), now)
        how = TRIGGER_WORDS.get(run.trigger, run.trigger)
        self.title.setText(
            f"Last run of {name}: {when}, {how}. Run now (F5) runs it again; "
            "Preview (F6) shows what it would do."
        )
        for widget in (self.bar, self.numbers, self.tree, self.models):
            widget.hide()
        self.report.show_run(run)
        self.report.show()
        self.stack.setCurrentIndex(1)

    def show_error(self, state: str, text: str) -> None:
        """A run that could not start (already running, invalid profile)."""
        self._detach()
        self.banner.show_message(state, text)
        self.empty.setText("")
        self.stack.setCurrentIndex(0)

    def show_session(self, session: RunSession) -> None:
        self._detach()
        self.session = session
        self.tree.setModel(session.model)
        self.tree.fit_columns()
        self.tree.setColumnHidden(PROGRESS, session.dry_run)  # a preview has nothing to measure
        session.updated.connect(self.refresh)
        session.finished.connect(self._finished)
        self.stack.setCurrentIndex(1)
        for widget in (self.bar, self.numbers, self.tree):
            widget.show()
        self.models.hide()
        self.banner.hide()
        self.report.hide()
        self.refresh()
        if session.result is not None:
            self._finished(session.result)

    def _detach(self) -> None:
        if self.session is not None:
            try:
                self.session.updated.disconnect(self.refresh)
                self.session.finished.disconnect(self._finished)
            except (RuntimeError, TypeError):
                pass
        self.session = None

    def _expanded(self, index: QModelIndex) -> None:
        model = self.tree.model()
        if model is not None and model.canFetchMore(index):
            model.fetchMore(index)

    # -- live numbers -----------------------------------------------------------------------------

    def refresh(self) -> None:
        session = self.session
        if session is None:
            return
        stats = session.stats
        what = "Preview of" if session.dry_run else "Verify of" if session.verify else "Run of"
        if session.running:
            state = "cancelling…" if session.cancelled else "paused" if session.paused else stats.phase_word
            self.title.setText(f"{what} {session.profile.name} — {state}")
        if session.dry_run:
            self.bar.setVisible(session.running)
            self.bar.setRange(0, 0)  # a preview only scans: show activity, not a percentage
            self.numbers.setText(stats.phase_message or "Scanning…")
            return
        self.bar.setVisible(True)
        self.bar.setRange(0, 100)
        value = stats.whole_percent  # as the profile list and the header say it
        if self.bar.value() != value:
            # setValue repaints the window at once; held back, the paint waits for its own turn in the
            # event loop instead of lengthening this batch
            self.bar.setUpdatesEnabled(False)
            self.bar.setValue(value)
            self.bar.setFormat(f"{value} %")
            self.bar.setUpdatesEnabled(True)
        total = stats.bytes_total
        parts = [
            f"{human_bytes(stats.bytes_done)} of {human_bytes(total)}" if total else "",
            describe_speed(stats.speed) if session.running else "",
            f"ETA {describe_eta(stats.eta)}" if session.running and stats.eta is not None else "",
            stats.files_text("models" if session.profile.kind == "revit" else "files"),
            f"{stats.failed} failed" if stats.failed else "",
            stats.limit if session.running else "",
        ]
        if session.running and session.paused:
            parts.insert(0, "Paused — " + (stats.pause_message.removeprefix("paused: ") or "press Resume"))
        self.numbers.setText(" · ".join(p for p in parts if p))

    def _finished(self, result: RunResult) -> None:
        session = self.session
        if session is None:
            return
        self.refresh()
        outcome = result.outcome
        if result.error is not None:
            self.show_error("warning" if result.error_kind == "locked" else "failed", result.error)
            return
        if outcome is None:
            return
        if session.dry_run:
            self.title.setText(f"Preview of {session.profile.name} — nothing was changed")
            self.numbers.setText(plan_summary(outcome.plan) if outcome.plan else "")
            if outcome.reason:
                self.banner.show_message("refused", f"<b>A real run would be refused:</b> {outcome.reason}")
            if session.profile.kind == "revit" and outcome.plan is not None:
                self.tree.hide()
                self.models.set_plan(outcome.plan)
                self.models.show()
            self._expand_top()
            return
        report = outcome.report
        if report is None:
            return
        what = "Verify of" if session.verify else "Run of"
        self.title.setText(f"{what} {session.profile.name} — {report.status}")
        if report.readback:
            self.numbers.setText(f"{self.numbers.text()} · {report.readback}".lstrip(" ·"))
        if report.status == "refused":
            self.banner.show_message("refused", f"<b>Refused, nothing was changed:</b> {report.reason}")
        self.report.show_report(report, session.stats)
        self.report.show()

    def _expand_top(self) -> None:
        """Open the first folders of a small preview so the user sees files without clicking."""
        model = self.tree.model()
        if model is None:
            return
        for row in range(min(model.rowCount(), 20)):
            index = model.index(row, 0)
            if model.hasChildren(index):
                self.tree.expand(index)
