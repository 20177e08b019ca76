"""The layout shared by every chart: the date axis, the value axis, and events as shaded months with markers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Only the rows' shapes: the domain is handed rows, it never loads them.
    from app.store.models import Event

EVENT_COLOUR = "#6b7280"
# For `finish(chart, yaxis=NORMAL_RANGE)`: a value axis that need not start at zero (efficiency, yield).
NORMAL_RANGE = {"rangemode": "normal"}


def _month_end(period: dt.date) -> dt.date:
    year, month = (period.year + 1, 1) if period.month == 12 else (period.year, period.month + 1)
    return dt.date(year, month, 1) - dt.timedelta(days=1)


def events_in(events: Sequence[Event], periods: Sequence[dt.date]) -> list[Event]:
    if not periods:
        return []
    return [e for e in events if periods[0] <= e.date <= _month_end(periods[-1])]


def _slot(period: dt.date) -> tuple[dt.date, dt.date]:
    """The stretch of the date axis a month's bar or point owns: halfway to the month before and after.

    Figures are drawn at the first of their month, so a month's slot runs from mid-previous month to
    mid-month; an event drawn at its own day (the 20th) would sit in the next month's slot and read as it.
    """
    before = (period.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    after = _month_end(period) + dt.timedelta(days=1)
    return before + (period - before) / 2, period + (after - period) / 2


def event_overlay(events: Sequence[Event]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A shaded band over each month with events, and a marker at the month's own x carrying their titles.

    Several events of one month share the band and get a marker each, all at that month's x.
    """
    months = sorted({e.date.replace(day=1) for e in events})
    shapes = []
    for month in months:
        x0, x1 = _slot(month)
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": x0.isoformat(),
                "x1": x1.isoformat(),
                "y0": 0,
                "y1": 1,
                "fillcolor": EVENT_COLOUR,
                "opacity": 0.12,
                "line": {"width": 0},
                "layer": "below",
            }
        )
    trace = {
        "type": "scatter",
        "mode": "markers",
        "name": "Events",
        "x": [e.date.replace(day=1).isoformat() for e in events],
        "y": [1] * len(events),
        "yaxis": "y2",
        "marker": {"symbol": "triangle-down", "size": 10, "color": EVENT_COLOUR},
        "hovertext": [f"<b>{e.title}</b><br>{e.date:%d %b %Y} ({e.date:%B %Y}) · {e.kind}" for e in events],
        "hoverinfo": "text",
        "showlegend": bool(events),
        "meta": {"key": "events"},
    }
    return shapes, trace


def layout(y_title: str, shapes: list[dict[str, Any]], periods: Sequence[dt.date], **extra: Any) -> dict[str, Any]:
    """The layout; each of `extra` is a layout entry, a dict merged into the one already there (`yaxis=
    {"rangemode": "normal"}` changes that one setting and keeps the axis' others)."""
    base = _base(y_title, shapes, periods)
    for name, value in extra.items():
        current = base.get(name)
        base[name] = {**current, **value} if isinstance(current, dict) and isinstance(value, dict) else value
    return base


def _base(y_title: str, shapes: list[dict[str, Any]], periods: Sequence[dt.date]) -> dict[str, Any]:
    # No Plotly title: the page's heading names the chart, once.
    x_range = None
    if periods:
        # Half a month of margin each side so the first and last bars are whole.
        x_range = [(periods[0] - dt.timedelta(days=16)).isoformat(), (periods[-1] + dt.timedelta(days=16)).isoformat()]
    return {
        "xaxis": {"type": "date", "tickformat": "%b %Y", "hoverformat": "%b %Y", "range": x_range},
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero", "separatethousands": True, "automargin": True},
        # A hidden axis so event markers sit at the top whatever the data's scale.
        "yaxis2": {"overlaying": "y", "range": [0, 1.05], "visible": False, "fixedrange": True},
        "shapes": shapes,
        "hovermode": "closest",
        # Under the plot. charts.js gives it the bottom margin it needs and a fixed gap under the date labels
        # before drawing (left to Plotly, the margin grows while drawing and the legend is drawn twice);
        # this y is only the starting point it replaces.
        "legend": {"orientation": "h", "y": -0.18, "traceorder": "normal"},
        # Wide enough for tick labels of up to five characters ("1,000", "0.925", "−500") and the axis title:
        # when they do not fit, Plotly's automargin widens the margin and draws the whole chart a second time
        # (at 56 px the BTC-mined chart's "1,000" needed 61 px, which nearly doubled its drawing time).
        "margin": {"l": 64, "r": 16, "t": 16, "b": 40},
        "separators": ".,",
    }
