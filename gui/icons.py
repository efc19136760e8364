"""State marks drawn in code: each state has its own shape (check, cross, half disc, dash, triangle),
so the colour is never the only thing that tells them apart."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

COLOURS = {
    "planned": "#7a7f87",
    "never": "#7a7f87",
    "running": "#1f6fd1",
    "done": "#2e8b3d",
    "ok": "#2e8b3d",
    "skipped": "#8a8f96",
    "cancelled": "#8a8f96",
    "paused": "#8a6fd1",
    "stopped": "#8a8f96",
    "failed": "#c62828",
    "refused": "#d9822b",
    "warning": "#d9822b",
    "invalid": "#d9822b",
    "interrupted": "#d9822b",
    "unavailable": "#c62828",
}
_SIZES = (16, 20, 24, 32, 48)


def _draw(painter: QPainter, state: str, size: float) -> None:
    colour = QColor(COLOURS.get(state, "#7a7f87"))
    pen_width = max(1.5, size / 10)
    rect = QRectF(pen_width, pen_width, size - 2 * pen_width, size - 2 * pen_width)
    white = QPen(
        QColor("white"),
        pen_width * 1.2,
        Qt.PenStyle.SolidLine,
        Qt.PenCapStyle.RoundCap,
        Qt.PenJoinStyle.RoundJoin,
    )
    if state in ("refused", "warning", "invalid", "interrupted"):
        triangle = QPolygonF(
            [
                QPointF(size / 2, pen_width),
                QPointF(size - pen_width, size - pen_width),
                QPointF(pen_width, size - pen_width),
            ]
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(colour))
        painter.drawPolygon(triangle)
        painter.setPen(white)
        painter.drawLine(QPointF(size / 2, size * 0.38), QPointF(size / 2, size * 0.62))
        painter.drawPoint(QPointF(size / 2, size * 0.78))
        return
    if state in ("planned", "never"):
        painter.setPen(QPen(colour, pen_width))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(rect)
        return
    if state == "running":
        painter.setPen(QPen(colour, pen_width))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(rect)
        half = QPainterPath()
        half.moveTo(rect.center())
        half.arcTo(rect, 90, -180)
        half.closeSubpath()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(colour))
        painter.drawPath(half)
        return
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(colour))
    painter.drawEllipse(rect)
    painter.setPen(white)
    c, r = size / 2, rect.width() / 2
    if state in ("done", "ok"):
        painter.drawPolyline(
            QPolygonF(
                [
                    QPointF(c - r * 0.45, c + r * 0.02),
                    QPointF(c - r * 0.1, c + r * 0.38),
                    QPointF(c + r * 0.5, c - r * 0.35),
                ]
            )
        )
    elif state in ("failed", "unavailable"):
        d = r * 0.38
        painter.drawLine(QPointF(c - d, c - d), QPointF(c + d, c + d))
        painter.drawLine(QPointF(c - d, c + d), QPointF(c + d, c - d))
    elif state == "paused":  # two bars, the pause sign
        painter.drawLine(QPointF(c - r * 0.22, c - r * 0.4), QPointF(c - r * 0.22, c + r * 0.4))
        painter.drawLine(QPointF(c + r * 0.22, c - r * 0.4), QPointF(c + r * 0.22, c + r * 0.4))
    else:  # skipped, cancelled, stopped: a dash
        painter.drawLine(QPointF(c - r * 0.45, c), QPointF(c + r * 0.45, c))


@cache
def state_icon(state: str) -> QIcon:
    """The mark for a state word (``done``, ``failed``, ``running``, ``ok``, ``never``…)."""
    icon = QIcon()
    for size in _SIZES:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        _draw(painter, state, float(size))
        painter.end()
        icon.addPixmap(pixmap)
    return icon


@cache
def app_icon() -> QIcon:
    """The window icon: a shield with a check mark."""
    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        s = float(size)
        shield = QPainterPath()
        shield.moveTo(s * 0.5, s * 0.04)
        shield.lineTo(s * 0.9, s * 0.18)
        shield.cubicTo(s * 0.9, s * 0.6, s * 0.7, s * 0.85, s * 0.5, s * 0.96)
        shield.cubicTo(s * 0.3, s * 0.85, s * 0.1, s * 0.6, s * 0.1, s * 0.18)
        shield.closeSubpath()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(QColor("#1f5fa8")))
        painter.drawPath(shield)
        painter.setPen(
            QPen(
                QColor("white"),
                max(1.5, s / 12),
                Qt.PenStyle.SolidLine,
                Qt.PenCapStyle.RoundCap,
                Qt.PenJoinStyle.RoundJoin,
            )
        )
        painter.drawPolyline(
            QPolygonF([QPointF(s * 0.3, s * 0.5), QPointF(s * 0.45, s * 0.65), QPointF(s * 0.7, s * 0.36)])
        )
        painter.end()
        icon.addPixmap(pixmap)
    return icon
