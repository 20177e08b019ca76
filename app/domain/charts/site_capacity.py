"""A site's capacity over time: a step line, each entry held until the next one (or until the site retires)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from app.domain.charts.figure import Chart, Point, Series, finish
from app.domain.figure_sources import FigureSource
from app.domain.reports import add_months, month_range

CapacityEntry = tuple[dt.date, Decimal, str | None]  # effective month, MW, source URL


def capacity_chart(entries: Sequence[CapacityEntry], last: dt.date) -> Chart:
    """Every month from the first entry to `last` (the site's last operating month, or this month), each with
    the capacity in effect; no entries, no series (the page says so)."""
    ordered = sorted(entries, key=lambda e: e[0])
    periods: list[dt.date] = []
    points: list[Point] = []
    if ordered:
        end = max(last.replace(day=1), ordered[-1][0])
        current = 0
        for period in month_range(ordered[0][0], end):
            while current + 1 < len(ordered) and ordered[current + 1][0] <= period:
                current += 1
            _, capacity, url = ordered[current]
            points.append(Point(capacity, (FigureSource(url, False),)))
            periods.append(period)
    # A step: capacity changes on the month an entry takes effect.
    series = [Series("capacity_mw", "Capacity", "power_capacity_mw", tuple(points), colour="#0f766e", step=True)]
    chart = Chart("capacity", "Capacity over time", "MW", periods, series)
    chart.note = "Each recorded capacity holds until the next one: a step, not a monthly figure."
    return finish(chart)


def last_operating_month(retired: dt.date | None, today: dt.date) -> dt.date:
    """The month before the retired month, else this month."""
    return add_months(retired.replace(day=1), -1) if retired is not None else today.replace(day=1)
