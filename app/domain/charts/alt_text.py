"""A chart's text alternative: one sentence a screen reader speaks in place of the drawing."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from app.domain.formatting import format_number

if TYPE_CHECKING:
    # Only the shapes: the chart model imports this module to describe what it has built.
    from app.domain.charts.figure import Chart, Series


def _fmt_series(value: Decimal | None, series: Series) -> str:
    if value is None:
        return "—"
    return f"{format_number(value, series.unit, series.decimals)} {series.unit}"


def alt_text(chart: Chart) -> str:
    """A sentence for screen readers: the range, each series' latest value, how many months are missing."""
    if not chart.periods:
        return f"{chart.title}: no data."
    span = f"{chart.periods[0]:%B %Y} to {chart.periods[-1]:%B %Y}"
    if not chart.series:
        return f"{chart.title}: no published figures from {span}."
    parts = []
    for s in chart.series[:6]:
        known = [(p, pt.value) for p, pt in zip(chart.periods, s.points, strict=True) if pt.value is not None]
        last_period, last_value = known[-1]
        missing = len(chart.periods) - len(known)
        parts.append(
            f"{s.label}: latest {_fmt_series(last_value, s)} in {last_period:%B %Y}"
            + (f", {missing} month(s) without a figure" if missing else "")
        )
    more = f"; and {len(chart.series) - 6} more series" if len(chart.series) > 6 else ""
    return f"{chart.title} ({chart.unit}) from {span}. " + "; ".join(parts) + more + "."
