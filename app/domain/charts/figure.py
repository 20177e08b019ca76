"""The chart model and its Plotly figure: points, series, hover notes, event markers, layout, alt text.

Each chart is a `Chart`: the series it draws with their exact decimals and provenance, and the Plotly figure
dict drawn from those same series. The page's table and the CSV download read the series, so they show
exactly what the chart shows. Missing months are ``None``: Plotly draws a gap, tables show "—".
"""

from __future__ import annotations

import colorsys
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from app.domain.metrics import METRICS
from app.domain.reports import FigureSource, MonthView, sources_of

PALETTE = ("#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#4d7c0f", "#be185d")
TOTAL_COLOUR = "#111827"
EVENT_COLOUR = "#6b7280"
UNALLOCATED_COLOUR = "#9ca3af"

Kind = Literal["bar", "line"]

if TYPE_CHECKING:
    # Only the rows' shapes: the domain is handed rows, it never loads them.
    from app.store.models import Event


def colour(index: int) -> str:
    """A distinct colour per site: the palette, then hues spread by the golden angle for any number more."""
    if index < len(PALETTE):
        return PALETTE[index]
    hue = (index * 0.618033988749895) % 1.0
    r, g, b = colorsys.hls_to_rgb(hue, 0.45, 0.65)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


class Point(NamedTuple):
    """One month of a series. A tuple: a ten-year overview makes thousands, and a frozen dataclass costs more."""

    value: Decimal | None
    sources: tuple[FigureSource, ...] = ()
    revised: str | None = None  # "revised 2025-03-04: reason" when the month was corrected

    @property
    def is_illustrative(self) -> bool:
        return any(s.is_illustrative for s in self.sources)

    @property
    def is_estimate(self) -> bool:
        return any(s.is_estimate for s in self.sources)

    @property
    def provenance(self) -> str:
        """reported, estimate or illustrative (the strongest caveat wins); "" for a gap."""
        if self.value is None:
            return ""
        if self.is_illustrative:
            return "illustrative"
        return "estimate" if self.is_estimate else "reported"

    @property
    def source_urls(self) -> list[str]:
        return list(dict.fromkeys(s.source_url for s in self.sources if s.source_url))


@dataclass(frozen=True, slots=True)
class Series:
    key: str  # column key: the metric, or "metric:site" for one site's figures
    label: str
    metric: str
    points: tuple[Point, ...]
    kind: Kind = "line"
    colour: str = TOTAL_COLOUR
    negate: bool = False  # drawn below the axis (sales), stored and exported as the positive figure
    dash: str = "solid"
    width: float = 2.0

    @property
    def unit(self) -> str:
        return METRICS[self.metric].unit

    @property
    def is_empty(self) -> bool:
        return all(p.value is None for p in self.points)


@dataclass(slots=True)
class Chart:
    key: str
    title: str
    unit: str
    periods: list[dt.date]
    series: list[Series]
    note: str | None = None
    events: list[Event] = field(default_factory=list)
    figure: dict[str, Any] = field(default_factory=dict)
    alt: str = ""


def _revised_text(view: MonthView) -> str | None:
    if view.revised_at is None:
        return None
    reason = f": {view.revision_reason}" if view.revision_reason else ""
    return f"revised {view.revised_at:%Y-%m-%d}{reason}"


def company_points(views: Sequence[MonthView], metric: str) -> tuple[Point, ...]:
    out = []
    for v in views:
        value = v.values.get(metric)
        out.append(
            Point(
                value,
                sources_of(v, metric) if value is not None else (),
                _revised_text(v) if value is not None else None,
            )
        )
    return tuple(out)


def site_points(views: Sequence[MonthView], metric: str, slug: str) -> tuple[Point, ...]:
    out = []
    for v in views:
        figures = v.sites.get(slug)
        value = figures.values.get(metric) if figures else None
        src = figures.sources.get(metric) if figures and value is not None else None
        revised = None
        if figures is not None and figures.revised_at is not None and value is not None:
            reason = f": {figures.revision_reason}" if figures.revision_reason else ""
            revised = f"revised {figures.revised_at:%Y-%m-%d}{reason}"
        out.append(Point(value, (src,) if src else (), revised))
    return tuple(out)


def fmt(value: Decimal | None, metric: str, with_unit: bool = True) -> str:
    if value is None:
        return "—"
    spec = METRICS[metric]
    text = f"{value:,.{spec.decimals}f}"
    return f"{text} {spec.unit}" if with_unit else text


def _why(point: Point) -> list[str]:
    lines: list[str] = []
    if point.is_illustrative:
        lines.append("Illustrative: a demo split of the company total, not published by the company")
    elif point.is_estimate:
        lines.append("Estimate: unaudited, or its source could not be verified")
    for src in point.sources:
        if src.quote and not src.is_illustrative:
            lines.append(f"“{src.quote[:90]}”")
            break
    for url in point.source_urls[:2]:
        lines.append(f"Source: {url[:70]}")
    if point.revised:
        lines.append(point.revised.capitalize())
    return lines


class _Notes:
    """The distinct provenance notes of one figure, each sent once; a point refers to its note by index.

    A ten-year chart has thousands of points but only a handful of distinct provenances (one source per
    monthly release, a few estimates), so the figure carries each note once and static/js/charts.js puts it
    back under every point that refers to it. Index 0 is the empty note (gaps, figures without caveats).
    """

    def __init__(self) -> None:
        self.texts: list[str] = [""]
        self.flagged: list[bool] = [False]  # estimated or illustrative: hatched bars, open markers
        self.illustrative: list[bool] = [False]
        self._by_key: dict[tuple[tuple[FigureSource, ...], str | None], int] = {}
        self._by_text: dict[str, int] = {"": 0}

    def index(self, point: Point) -> int:
        key = (point.sources, point.revised)
        found = self._by_key.get(key)
        if found is None:
            text = "".join("<br>" + line for line in _why(point))
            found = self._by_text.get(text)
            if found is None:
                found = self._by_text[text] = len(self.texts)
                self.texts.append(text)
                self.flagged.append(point.is_estimate or point.is_illustrative)
                self.illustrative.append(point.is_illustrative)
            self._by_key[key] = found
        return found


def _hovertemplate(series: Series, value: str, note: str) -> str:
    """The hover of every point of a series; Plotly fills in the month, the value and the point's note."""
    spec = METRICS[series.metric]
    formula = f"<br>= {spec.formula}" if spec.formula else ""
    # <extra></extra> hides the trace-name box: the label is already the first line.
    return f"<b>{series.label}</b><br>%{{x|%b %Y}}: {value} {spec.unit}{formula}{note}<extra></extra>"


def _trace(series: Series, x: list[str], notes: _Notes) -> dict[str, Any]:
    decimals = METRICS[series.metric].decimals
    y: list[float | None] = []
    refs: list[Any] = []
    flagged: list[bool] = []
    known = all_illustrative = 0
    for p in series.points:
        if p.value is None:
            y.append(None)
            refs.append(0)
            flagged.append(False)
            continue
        ref = notes.index(p)
        flagged.append(notes.flagged[ref])
        known += 1
        all_illustrative += notes.illustrative[ref]
        if series.negate:
            # Drawn below the axis, but the hover states the figure as published: a positive sale.
            y.append(float(-p.value))
            refs.append([float(p.value), ref])
        else:
            y.append(float(p.value))
            refs.append(ref)
    if series.negate:
        template = _hovertemplate(series, f"%{{customdata[0]:,.{decimals}f}}", "%{customdata[1]}")
    else:
        template = _hovertemplate(series, f"%{{y:,.{decimals}f}}", "%{customdata}")
    # From the notes already looked up: a site split the company never published.
    illustrative = known > 0 and all_illustrative == known
    name = series.label + (" (illustrative)" if illustrative else "")
    common = {
        "name": name,
        "x": x,
        "y": y,
        "customdata": refs,  # note indexes, or [positive value, note index] for a negated series
        "hovertemplate": template,
        "meta": {"key": series.key, "unit": series.unit},
    }
    if series.kind == "bar":
        return {
            "type": "bar",
            **common,
            "marker": {
                "color": series.colour,
                # Hatched bars: estimated or illustrative figures.
                "pattern": {"shape": ["/" if f else "" for f in flagged], "solidity": 0.5},
                "line": {"width": 0},
            },
            "opacity": 0.85,
        }
    return {
        "type": "scatter",
        "mode": "lines+markers",
        **common,
        "connectgaps": False,
        "line": {
            "color": series.colour,
            "width": series.width,
            "dash": "dot" if illustrative else series.dash,
        },
        # Open markers: estimated or illustrative figures.
        "marker": {"symbol": ["circle-open" if f else "circle" for f in flagged], "size": 7, "color": series.colour},
    }


def _month_end(period: dt.date) -> dt.date:
    year, month = (period.year + 1, 1) if period.month == 12 else (period.year, period.month + 1)
    return dt.date(year, month, 1) - dt.timedelta(days=1)


def events_in(events: Sequence[Event], periods: Sequence[dt.date]) -> list[Event]:
    if not periods:
        return []
    return [e for e in events if periods[0] <= e.date <= _month_end(periods[-1])]


def _event_overlay(events: Sequence[Event]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Dotted vertical lines for events plus a marker trace at the top that carries their titles on hover."""
    shapes = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": e.date.isoformat(),
            "x1": e.date.isoformat(),
            "y0": 0,
            "y1": 1,
            "line": {"color": EVENT_COLOUR, "width": 1, "dash": "dot"},
            "layer": "below",
        }
        for e in events
    ]
    trace = {
        "type": "scatter",
        "mode": "markers",
        "name": "Events",
        "x": [e.date.isoformat() for e in events],
        "y": [1] * len(events),
        "yaxis": "y2",
        "marker": {"symbol": "triangle-down", "size": 10, "color": EVENT_COLOUR},
        "hovertext": [f"<b>{e.title}</b><br>{e.date:%d %b %Y} · {e.kind}" for e in events],
        "hoverinfo": "text",
        "showlegend": bool(events),
        "meta": {"key": "events"},
    }
    return shapes, trace


def _layout(y_title: str, shapes: list[dict[str, Any]], periods: Sequence[dt.date], **extra: Any) -> dict[str, Any]:
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
        "legend": {"orientation": "h", "y": -0.18, "traceorder": "normal"},
        "margin": {"l": 56, "r": 16, "t": 16, "b": 40},
        "separators": ".,",
        **extra,
    }


def finish(chart: Chart, **layout: Any) -> Chart:
    shown = [s for s in chart.series if not s.is_empty]
    chart.series = shown
    shapes, event_trace = _event_overlay(chart.events)
    x = [p.isoformat() for p in chart.periods]
    notes = _Notes()
    traces = [_trace(s, x, notes) for s in shown]
    chart.figure = {
        "data": [*traces, event_trace],
        "layout": _layout(chart.unit, shapes, chart.periods, **layout),
        # Not Plotly's: the hover notes that `customdata` indexes (see _Notes).
        "notes": notes.texts,
    }
    chart.alt = alt_text(chart)
    return chart


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
            f"{s.label}: latest {fmt(last_value, s.metric)} in {last_period:%B %Y}"
            + (f", {missing} month(s) without a figure" if missing else "")
        )
    more = f"; and {len(chart.series) - 6} more series" if len(chart.series) > 6 else ""
    return f"{chart.title} ({chart.unit}) from {span}. " + "; ".join(parts) + more + "."
