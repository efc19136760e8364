"""The report shown when a run ends: its result, counts, warnings and every failure with its reason."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.core.report import ItemResult, RunReport, human_bytes
from engine.core.state import RunRow
from gui.failure_list import FailureList
from gui.icons import state_icon
from gui.run_stats import RunStats
from gui.when import describe_eta, parse_stamp

# The counts as a sum a person can check: looked at = done + skipped + failed (refused inside failed).
COUNT_TITLES = {
    "looked_at": "Looked at",
    "done": "= Done",
    "skipped": "+ Skipped",
    "failed": "+ Failed",
    "bytes": "Copied",
    "time": "Time",
}
HEADLINES = {
    "ok": "Finished: everything done",
    "failed": "Finished with failures",
    "refused": "Refused — nothing was changed",
    "cancelled": "Cancelled — files copied so far are complete",
    "stopped": "Stopped at the end of its window — what was copied is kept; the next run continues",
    "unavailable": "Could not run — a tool or remote is unavailable",
    "interrupted": "Interrupted — the program stopped during the run; the next run finishes the job",
}


class ReportView(QWidget):
    """Headline with a mark, the counts, warnings, and a table of failures."""

    retry = Signal()
    repair = Signal()  # a verify's differences: copy them again

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = ""
        self.reason_text: str | None = None
        self.shown_counts: dict[str, int] = {}
        self.mark = QLabel()
        self.headline = QLabel()
        font = QFont(self.headline.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.headline.setFont(font)
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.counts: dict[str, QLabel] = {}
        self.count_titles: dict[str, QLabel] = {}
        self.run_kind = "backup"
        self.kind = ""  # the profile's kind: what "planned" means (export, upload, copy)
        grid = QGridLayout()
        for column, key in enumerate(COUNT_TITLES):
            title = QLabel(COUNT_TITLES[key])
            self.count_titles[key] = title
            value = QLabel("—")
            value.setObjectName(f"count-{key}")
            value.setFont(font)
            grid.addWidget(title, 0, column)
            grid.addWidget(value, 1, column)
            self.counts[key] = value
        self.planned_note = QLabel()  # what "planned" means, and the refused inside "failed"
        self.planned_note.setWordWrap(True)
        self.planned_note.setObjectName("count-planned")
        self.counts["planned"] = self.planned_note
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.failure_list = FailureList()  # the table, and the selected failure in full below it
        self.failures = self.failure_list.model
        self.table = self.failure_list.table
        self.retry_button = QPushButton("Retry failed")
        self.retry_button.setToolTip("Run the profile again; failed items are tried again")
        self.retry_button.clicked.connect(
            lambda: self.repair.emit() if self.run_kind == "verify" else self.retry.emit()
        )
        top = QHBoxLayout()
        top.addWidget(self.mark)
        top.addWidget(self.headline, 1)
        top.addWidget(self.retry_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.reason)
        layout.addLayout(grid)
        layout.addWidget(self.planned_note)
        layout.addWidget(self.warnings)
        layout.addWidget(self.failure_list, 1)
        layout.addStretch(0)  # takes the room when there is no table of failures

    def show_report(self, report: RunReport, live: RunStats | None = None) -> None:
        """Show a run's report; ``live`` fills in the counts when the engine's report has no items
        (a cancelled run reports none, though the events showed what was done)."""
        counts, copied, failures = _tally(report)  # one pass over what may be 100,000 items
        if not report.items and live is not None and live.items_finished:
            counts.update(done=live.done, skipped=live.skipped, failed=live.failed)
            copied = live.bytes_finished
        elapsed = (report.finished - report.started).total_seconds() if report.finished else None
        self.run_kind, self.kind = report.run_kind, report.kind
        self._show(report.status, report.reason, counts, copied, elapsed, report.warnings, failures)

    def show_run(self, run: RunRow) -> None:
        """Show a past run from the history (its failures as the state database kept them)."""
        started, finished = parse_stamp(run.started), parse_stamp(run.finished)
        elapsed = (finished - started).total_seconds() if started and finished else None
        refused = sum(1 for f in run.failures if f.get("status") == "refused")
        counts = {
            "planned": run.planned,
            "done": run.done,
            "skipped": run.skipped,
            "failed": run.failed,
            "refused": refused,
        }
        failures = [
            ItemResult(
                str(f.get("path", "")),
                str(f.get("action", "")),
                str(f.get("status", "")),
                str(f.get("message", "")),
            )
            for f in run.failures
        ]
        self.run_kind, self.kind = run.run_kind, run.kind
        self._show(run.status, run.reason, counts, run.bytes, elapsed, [], failures)

    def _show(
        self,
        status: str,
        reason: str | None,
        counts: dict[str, int],
        copied: int,
        elapsed: float | None,
        warnings: list[str],
        failures: list[ItemResult],
    ) -> None:
        self.status, self.reason_text = status, reason
        mark = {"cancelled": "cancelled", "ok": "done", "interrupted": "warning"}.get(status, status)
        self.mark.setPixmap(state_icon(mark).pixmap(24, 24))
        verify = self.run_kind == "verify"
        headline = "Differences found" if verify and status == "failed" else None
        self.headline.setText(headline or HEADLINES.get(status, f"Finished: {status}"))
        self.count_titles["bytes"].setText("Read" if verify else "Copied")
        self.retry_button.setText("Repair" if verify else "Retry failed")
        self.retry_button.setToolTip(
            "Copy again what differs or is missing; each damaged copy is kept under versions first"
            if verify
            else "Run the profile again; failed items are tried again"
        )
        self.reason.setText(f"Reason: {reason}" if reason else "")
        self.reason.setVisible(bool(reason))
        counts = dict(counts)
        counts.setdefault("refused", 0)
        counts["looked_at"] = counts["done"] + counts["skipped"] + counts["failed"]
        self.shown_counts = counts
        for key in ("looked_at", "done", "skipped", "failed"):
            self.counts[key].setText(f"{counts[key]:,}")
        self.planned_note.setText(planned_words(counts, self.run_kind, self.kind))
        self.counts["bytes"].setText(human_bytes(copied))
        self.counts["time"].setText(
            "under 1 s" if elapsed is not None and elapsed < 1 else describe_eta(elapsed)
        )
        self.warnings.setText("\n".join(f"⚠ {w}" for w in warnings))
        self.warnings.setVisible(bool(warnings))
        self.failure_list.set_items(failures)
        self.failure_list.setVisible(bool(failures))
        self.retry_button.setVisible(bool(failures))

    def text(self) -> str:
        """The report as plain text (what a screen reader or a test reads)."""
        if not self.status:
            return ""
        c = self.shown_counts
        lines = [
            self.headline.text(),
            f"{c['done']} done, {c['skipped']} skipped, {c['failed']} failed "
            f"of {c['looked_at']} looked at ({c['planned']} planned); copied {self.counts['bytes'].text()}",
        ]
        if self.reason_text:
            lines.append(f"reason: {self.reason_text}")
        lines += [f"{i.status}: {i.action} {i.path}: {i.message}" for i in self.failures.rows]
        return "\n".join(lines)


def _tally(report: RunReport) -> tuple[dict[str, int], int, list[ItemResult]]:
    """The report's counts, bytes done and failures, in one pass over its items."""
    tally = {"done": 0, "skipped": 0, "failed": 0, "refused": 0}
    copied, failures = 0, []
    for item in report.items:
        tally[item.status] = tally.get(item.status, 0) + 1
        if item.status == "done":
            copied += item.bytes
        elif item.status in ("failed", "refused"):
            failures.append(item)
    failed = tally["failed"] + tally["refused"]
    counts = {"planned": report.planned, "done": tally["done"], "skipped": tally["skipped"]}
    counts.update(failed=failed, refused=tally["refused"])
    return counts, copied, failures


PLANNED_VERBS = {"revit": "to export", "rclone": "to upload or delete", "mirror": "to copy or delete"}


def planned_words(counts: dict[str, int], run_kind: str = "backup", kind: str = "") -> str:
    """What "planned" means beside the sum, and how many of the failed were refused."""
    planned, looked = counts["planned"], counts["looked_at"]
    if run_kind == "verify":
        text = f"Planned: {planned:,} to read back."
    else:
        text = f"Planned: {planned:,} {PLANNED_VERBS.get(kind, 'to do')}."
        if looked > planned:
            other = looked - planned
            verb = "was" if other == 1 else "were"
            text += f" The other {other:,} looked at {verb} not planned: skipped, or refused."
    if counts.get("refused"):
        text += f" Failed includes {counts['refused']:,} refused (unsafe path, never touched)."
    return text
