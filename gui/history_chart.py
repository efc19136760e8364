"""The History tab's chart: bytes copied (bars) and duration (line) per run over time, runs that
did not end well marked with a red triangle and the word in their tooltip.

Drawn with QPainter: PySide6-Essentials has no QtCharts (it is in the PySide6-Addons wheel, which
would add well over 100 MB to a download that is about 114 MB today) and one chart does not need it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QHelpEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from engine.core.report import human_bytes
from engine.core.state import RunRow
from gui.profile_list import STATUS_WORDS
from gui.when import describe, describe_eta, parse_stamp

MAX_RUNS = 60
BYTES_COLOUR = QColor("#5b8fd0")
LINE_COLOUR = QColor("#e08a1e")
BAD_COLOUR = QColor("#c62828")
GRID_COLOUR = QColor(128, 128, 128, 60)


@dataclass(frozen=True)
class Point:
    """One run as the chart shows it."""

    started: datetime
    seconds: float
    bytes: int
    status: str
    files: int

    @property
    def bad(self) -> bool:
        return self.status not in ("ok", "cancelled", "stopped", "running")  # stopped: at its window's end


def points_from(runs: list[RunRow], limit: int = MAX_RUNS) -> list[Point]:
    """The newest ``limit`` finished runs, oldest first."""
    points = []
    for run in runs:
        started, finished = parse_stamp(run.started), parse_stamp(run.finished)
        if started is None or finished is None:
            continue
        seconds = max(0.0, (finished - started).total_seconds())
        points.append(Point(started, seconds, run.bytes, run.status, run.done))
    points.sort(key=lambda p: p.started)
    return points[-limit:]


def span(seconds: float) -> str:
    """A duration for an axis: ``40 s``, ``21 min``, ``2.5 h`` (never mistaken for a time of day)."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class HistoryChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points: list[Point] = []
        self.now = datetime.now().astimezone()
        self.bars: list[tuple[QRectF, Point]] = []
        self.setMinimumHeight(170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMouseTracking(True)
        self.setAccessibleName("Chart of bytes and duration per run")

    def sizeHint(self) -> QSize:
        return QSize(600, 190)

    def set_runs(self, runs: list[RunRow]) -> None:
        self.points = points_from(runs)
        self.now = datetime.now().astimezone()
        bad = sum(1 for p in self.points if p.bad)
        self.setAccessibleDescription(f"{len(self.points)} runs, {bad} not ok")
        self.update()

    # -- drawing ----------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetrics(self.font())
        text_colour = self.palette().color(self.foregroundRole())
        line_height = metrics.height()
        if not self.points:
            painter.setPen(text_colour)
            painter.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter, "The chart appears after the first run."
            )
            return
        most_bytes = max(max(p.bytes for p in self.points), 1)
        most_seconds = max(max(p.seconds for p in self.points), 1.0)
        left_label, right_label = human_bytes(most_bytes), span(most_seconds)
        left = metrics.horizontalAdvance(left_label) + 10
        right = metrics.horizontalAdvance(right_label) + 10
        top = line_height + 16  # room for the legend and the "not ok" triangles above the bars
        plot = QRectF(left, top, self.width() - left - right, self.height() - top - line_height - 8)
        self._draw_frame(painter, plot, text_colour, left_label, right_label, metrics)
        self._draw_runs(painter, plot, most_bytes, most_seconds)
        self._draw_legend(painter, plot, text_colour, metrics)
        painter.end()

    def _x(self, plot: QRectF, index: int) -> float:
        count = len(self.points)
        step = plot.width() / max(count, 1)
        return plot.left() + step * (index + 0.5)

    def _draw_frame(
        self,
        painter: QPainter,
        plot: QRectF,
        text: QColor,
        left_label: str,
        right_label: str,
        metrics: QFontMetrics,
    ) -> None:
        painter.setPen(QPen(GRID_COLOUR, 1))
        for fraction in (0.0, 0.5, 1.0):
            y = plot.bottom() - plot.height() * fraction
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        painter.setPen(BYTES_COLOUR.darker(130))
        painter.drawText(QPointF(2, plot.top() + metrics.ascent() / 2), left_label)
        painter.drawText(QPointF(2, plot.bottom() + metrics.ascent() / 2), "0")
        painter.setPen(LINE_COLOUR.darker(130))
        painter.drawText(QPointF(plot.right() + 6, plot.top() + metrics.ascent() / 2), right_label)
        painter.setPen(text)
        baseline = plot.bottom() + metrics.height() + 2
        first, last = self.points[0].started, self.points[-1].started
        painter.drawText(QPointF(plot.left(), baseline), describe(first, self.now))
        last_text = describe(last, self.now)
        painter.drawText(QPointF(plot.right() - metrics.horizontalAdvance(last_text), baseline), last_text)

    def _draw_runs(self, painter: QPainter, plot: QRectF, most_bytes: int, most_seconds: float) -> None:
        step = plot.width() / len(self.points)
        width = max(2.0, min(step * 0.6, 28.0))
        self.bars = []
        line = QPolygonF()
        for index, point in enumerate(self.points):
            x = self._x(plot, index)
            height = plot.height() * point.bytes / most_bytes
            bar = QRectF(x - width / 2, plot.bottom() - height, width, height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(BAD_COLOUR.lighter(150) if point.bad else BYTES_COLOUR)
            painter.drawRect(bar)
            self.bars.append((QRectF(x - step / 2, plot.top(), step, plot.height()), point))
            line.append(QPointF(x, plot.bottom() - plot.height() * point.seconds / most_seconds))
        painter.setPen(QPen(LINE_COLOUR, 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPolyline(line)
        painter.setBrush(LINE_COLOUR)
        for corner in line:
            painter.drawEllipse(corner, 2.5, 2.5)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(BAD_COLOUR)
        for index, point in enumerate(self.points):
            if point.bad:  # a triangle above the run, whatever its bar: shape and colour both
                x, top = self._x(plot, index), plot.top() - 2
                painter.drawPolygon(
                    QPolygonF([QPointF(x, top), QPointF(x - 5, top - 8), QPointF(x + 5, top - 8)])
                )

    def _draw_legend(self, painter: QPainter, plot: QRectF, text: QColor, metrics: QFontMetrics) -> None:
        y = metrics.ascent() + 1
        x = plot.left()
        for colour, shape, words in (
            (BYTES_COLOUR, "bar", "bytes copied"),
            (LINE_COLOUR, "dot", "duration"),
            (BAD_COLOUR, "tri", "not ok (failed, refused…)"),
        ):
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            middle = y - metrics.ascent() / 2 + 1
            if shape == "bar":
                painter.drawRect(QRectF(x, middle - 5, 10, 10))
            elif shape == "dot":
                painter.drawEllipse(QPointF(x + 5, middle), 4, 4)
            else:
                painter.drawPolygon(
                    QPolygonF(
                        [QPointF(x + 5, middle + 5), QPointF(x, middle - 4), QPointF(x + 10, middle - 4)]
                    )
                )
            painter.setPen(text)
            painter.drawText(QPointF(x + 14, y), words)
            x += 14 + metrics.horizontalAdvance(words) + 18

    # -- hover ------------------------------------------------------------------------------------

    def point_at(self, position: QPointF) -> Point | None:
        for area, point in self.bars:
            if area.contains(position):
                return point
        return None

    def event(self, event: object) -> bool:
        if isinstance(event, QHelpEvent):
            point = self.point_at(QPointF(event.pos()))
            if point is None:
                QToolTip.hideText()
            else:
                word = STATUS_WORDS.get(point.status, point.status)
                QToolTip.showText(
                    event.globalPos(),
                    f"{describe(point.started, self.now)} — {word}\n{human_bytes(point.bytes)}, "
                    f"{point.files} files, took {describe_eta(point.seconds)}",
                    self,
                )
            return True
        return super().event(event)  # type: ignore[arg-type]
