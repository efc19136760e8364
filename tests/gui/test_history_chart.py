"""The History tab's chart: one point per finished run, failures marked, a tooltip per run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QPointF

from engine.core.state import RunRow
from gui.history_chart import HistoryChart, points_from, span

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def run(number: int, status: str, size: int, minutes: float) -> RunRow:
    started = T0 + timedelta(days=number)
    finished = started + timedelta(minutes=minutes)
    return RunRow(
        number,
        "p",
        "mirror",
        started.isoformat(),
        finished.isoformat(),
        status,
        None,
        0,
        5,
        0,
        0,
        size,
        [],
        "schedule",
    )


def test_the_chart_shows_runs_oldest_first_with_failures_marked(qtbot) -> None:  # type: ignore[no-untyped-def]
    runs = [run(3, "failed", 10, 2), run(2, "ok", 2_000_000, 12), run(1, "ok", 1_000, 1)]
    unfinished = RunRow(9, "p", "mirror", T0.isoformat(), None, "running", None, 0, 0, 0, 0, 0, [], "gui")
    points = points_from([*runs, unfinished])
    assert [p.status for p in points] == ["ok", "ok", "failed"] and [p.bad for p in points] == [
        False,
        False,
        True,
    ]
    chart = HistoryChart()
    qtbot.addWidget(chart)
    chart.resize(600, 200)
    chart.set_runs(runs)
    chart.show()
    qtbot.waitExposed(chart)
    chart.grab()  # paints: the bars and their hover areas exist
    assert len(chart.bars) == 3
    middle = chart.bars[1][0].center()
    assert chart.point_at(QPointF(middle)) == points[1]
    assert chart.accessibleDescription() == "3 runs, 1 not ok"
    assert (span(40), span(21 * 60), span(2.5 * 3600)) == ("40 s", "21 min", "2.5 h")
