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

from app.domain.charts.alt_text import alt_text
from app.domain.charts.kept import KEPT_CHARTS
from app.domain.charts.layout import event_overlay, layout
from app.domain.figure_sources import FigureSource
from app.domain.formatting import format_figure, hover_format
from app.domain.metrics import METRICS
from app.domain.provenance import source_links

PALETTE = (
    "#2563eb",
    "#16a34a",
    "#d97706",
    "#9333ea",
    "#dc2626",
    "#0891b2",
    "#4d7c0f",
    "#be185d",
    "#0f766e",
    "#92400e",
    "#475569",
    "#a21caf",
)
TOTAL_COLOUR = "#111827"
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
    revised: str | None = None  # this figure's corrections, one line each ("Revised 2025-03-04 by editor: …")
    partial: str = ""  # a company value from some of its sites: "2 of 3 sites (South not reported)"

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

    @property
    def source_links(self) -> list[tuple[str, str]]:
        """(url, the document's title or publisher) of each source link."""
        return source_links(self.sources)


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
    axis: str = "y"  # "y3", "y4": a second axis or panel the chart's layout defines ("y2" carries events)
    step: bool = False  # a line that holds each value until the next one, without markers
    # A series that is not the metric itself (normalised compare lines): its own unit, decimals and formula.
    unit_override: str | None = None
    decimals_override: int | None = None
    formula_override: str | None = None

    @property
    def unit(self) -> str:
        return self.unit_override or METRICS[self.metric].unit

    @property
    def decimals(self) -> int:
        return METRICS[self.metric].decimals if self.decimals_override is None else self.decimals_override

    @property
    def formula(self) -> str | None:
        return self.formula_override or METRICS[self.metric].formula

    @property
    def is_empty(self) -> bool:
        return all(p.value is None for p in self.points)


@dataclass(slots=True)
class Chart:
    """Filled in by a chart's builder, then drawn by `finish`; once finished it may be shared (kept), so
    nothing changes it after."""

    key: str
    title: str
    unit: str
    periods: list[dt.date]
    series: list[Series]
    note: str | None = None
    events: list[Event] = field(default_factory=list)
    figure: dict[str, Any] = field(default_factory=dict)
    alt: str = ""


def fmt(value: Decimal | None, metric: str, with_unit: bool = True) -> str:
    return format_figure(value, metric, with_unit)


def point_hover_lines(point: Point) -> list[str]:
    """The facts shown on hover under a point's value, one per line (the month, value and unit come first).

    Every fact a point's hover states is decided here and nowhere else: the figure sends each distinct list
    once (see _Notes), so a new fact added here costs the page a few bytes per distinct note, not per point.
    """
    lines: list[str] = []
    if point.is_illustrative:
        lines.append("Illustrative: a demo split of the company total, not published by the company")
    elif point.is_estimate:
        lines.append("Estimate: unaudited, or its source could not be verified")
    for src in point.sources:
        if src.quote and not src.is_illustrative:
            lines.append(f"“{src.quote[:90]}”")
            break
    lines.extend(src.basis for src in point.sources if src.basis)
    if point.partial:
        lines.append(f"Partial: {point.partial}")
    for _, name in point.source_links[:2]:
        lines.append(f"Source: {name[:70]}")
    if point.revised:
        # As typed: the reason keeps its capitals.
        lines.extend(point.revised.split("\n"))
    return lines


class _Notes:
    """The distinct provenance notes of one figure, each sent once; a point refers to its note by index.

    A ten-year chart has thousands of points but only a handful of distinct provenances (one source per
    monthly release, a few estimates), so the figure carries each note once and static/js/charts.js puts it
    back under every point that refers to it. Index 0 is the empty note (gaps, figures without caveats).
    """

    def __init__(self) -> None:
        self.texts: list[str] = [""]
        self.flagged: list[bool] = [False]  # estimated, illustrative or partial: hatched bars, open markers
        self.illustrative: list[bool] = [False]
        self.alternative: list[bool] = [False]  # a derived figure by its second route: a diamond marker
        self._by_key: dict[tuple[tuple[FigureSource, ...], str | None, str], int] = {}
        self._by_text: dict[str, int] = {"": 0}

    def index(self, point: Point) -> int:
        key = (point.sources, point.revised, point.partial)
        found = self._by_key.get(key)
        if found is None:
            text = "".join("<br>" + line for line in point_hover_lines(point))
            found = self._by_text.get(text)
            if found is None:
                found = self._by_text[text] = len(self.texts)
                self.texts.append(text)
                # A value from some sites only is drawn as an estimate is: it is not the company's figure.
                self.flagged.append(point.is_estimate or point.is_illustrative or bool(point.partial))
                self.illustrative.append(point.is_illustrative)
                self.alternative.append(any(src.basis for src in point.sources))
            self._by_key[key] = found
        return found


def _hovertemplate(series: Series, value: str, note: str) -> str:
    """The hover of every point of a series; Plotly fills in the month, the value and the point's note."""
    formula = f"<br>= {series.formula}" if series.formula else ""
    # <extra></extra> hides the trace-name box: the label is already the first line.
    return f"<b>{series.label}</b><br>%{{x|%b %Y}}: {value} {series.unit}{formula}{note}<extra></extra>"


# A line's marker per (estimated or illustrative, derived by the second route).
_SYMBOLS = {
    (False, False): "circle",
    (True, False): "circle-open",
    (False, True): "diamond",
    (True, True): "diamond-open",
}


def _note_refs(points: Sequence[Point], notes: _Notes) -> tuple[list[int], set[int]]:
    """The note of each point (0 for a gap; flags, markers and hatching all follow from it), and the notes of
    the points with a figure. Months in a run share their provenance: a point like the one before it has its
    note without hashing its sources again."""
    refs: list[int] = []
    append = refs.append
    known: set[int] = set()
    last_key: tuple[Any, ...] | None = None
    last_ref = 0
    for point in points:
        if point.value is None:
            append(0)
            continue
        key = point[1:]  # sources, revised, partial: what a note is made of
        if key != last_key:
            last_key, last_ref = key, notes.index(point)
            known.add(last_ref)
        append(last_ref)
    return refs, known


def _trace(series: Series, x: list[str], notes: _Notes) -> dict[str, Any]:
    # Column by column, not point by point: a ten-year, ten-site overview draws about 5,000 points.
    number = hover_format(series.unit, series.decimals)
    points = series.points
    values = [p.value for p in points]
    note_refs, known_refs = _note_refs(points, notes)
    refs: list[Any]
    if series.negate:
        # Drawn below the axis, but the hover states the figure as published: a positive sale.
        y = [None if v is None else float(-v) for v in values]
        refs = [0 if v is None else [float(v), r] for v, r in zip(values, note_refs, strict=True)]
        template = _hovertemplate(series, f"%{{customdata[0]:{number}}}", "%{customdata[1]}")
    else:
        y = [None if v is None else float(v) for v in values]
        refs = note_refs
        template = _hovertemplate(series, f"%{{y:{number}}}", "%{customdata}")
    # From the notes already looked up: a site split the company never published.
    flags = notes.illustrative
    illustrative = bool(known_refs) and all(flags[r] for r in known_refs)
    name = series.label + (" (illustrative)" if illustrative else "")
    common = {
        "name": name,
        "x": x,
        "y": y,
        "customdata": refs,  # note indexes, or [positive value, note index] for a negated series
        "hovertemplate": template,
        "meta": {"key": series.key, "unit": series.unit},
        **({"yaxis": series.axis} if series.axis != "y" else {}),
    }
    # Each note's hatching or marker once, then each point's by its note.
    if series.kind == "bar":
        shapes = ["/" if flagged else "" for flagged in notes.flagged]
        return {
            "type": "bar",
            **common,
            "marker": {
                "color": series.colour,
                # Hatched bars: estimated or illustrative figures.
                "pattern": {"shape": [shapes[r] for r in note_refs], "solidity": 0.5},
                "line": {"width": 0},
            },
            "opacity": 0.85,
        }
    symbols = [_SYMBOLS[flags] for flags in zip(notes.flagged, notes.alternative, strict=True)]
    line = {"color": series.colour, "width": series.width, "dash": "dot" if illustrative else series.dash}
    return {
        "type": "scatter",
        "mode": "lines" if series.step else "lines+markers",
        **common,
        "connectgaps": False,
        "line": {**line, "shape": "hv"} if series.step else line,
        # Open markers: estimated or illustrative figures; diamonds: derived by the dictionary's second route.
        "marker": {
            "symbol": [symbols[r] for r in note_refs],
            "size": 7,
            "color": series.colour,
        },
    }


def finish(chart: Chart, **extra: Any) -> Chart:
    """Drop empty series, draw the rest with the event overlay; `extra` goes into the layout (layout.layout).

    A chart equal to one finished before is that one (app.domain.charts.kept): never change what this returns.
    """
    return KEPT_CHARTS.finished(chart, extra, lambda: _draw(chart, extra))


def _draw(chart: Chart, extra: dict[str, Any]) -> Chart:
    shown = [s for s in chart.series if not s.is_empty]
    chart.series = shown
    shapes, event_trace = event_overlay(chart.events)
    x = [p.isoformat() for p in chart.periods]
    notes = _Notes()
    traces = [_trace(s, x, notes) for s in shown]
    chart.figure = {
        "data": [*traces, event_trace],
        "layout": layout(chart.unit, shapes, chart.periods, **extra),
        # Not Plotly's: the hover notes that `customdata` indexes (see _Notes).
        "notes": notes.texts,
    }
    chart.alt = alt_text(chart)
    return chart
