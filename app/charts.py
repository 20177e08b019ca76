"""Plotly figure dicts built from monthly series (pure: no database, no request).

Figures are plain dicts so they serialise straight to JSON for the page; the browser draws them with
the plotly.js bundle this server ships. Missing months are ``None`` and Plotly draws a gap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from app.metrics import METRICS
from app.models import Event, Site
from app.reports import FigureSource, MonthView

PALETTE = ("#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#4d7c0f", "#be185d")
TOTAL_COLOUR = "#111827"
EVENT_COLOUR = "#6b7280"


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _x(views: Sequence[MonthView]) -> list[str]:
    return [v.period.isoformat() for v in views]


def _fmt(value: Decimal | None, metric: str) -> str:
    if value is None:
        return "—"
    spec = METRICS[metric]
    return f"{value:,.{spec.decimals}f} {spec.unit}"


def _provenance_text(src: FigureSource | None) -> str:
    if src is None:
        return ""
    parts = []
    if src.is_illustrative:
        parts.append("illustrative split, not published by the company")
    elif src.is_estimate:
        parts.append("estimate: source not verified")
    if src.source_url:
        parts.append(f"source: {src.source_url[:80]}")
    return "<br>".join(parts)


def _hover(views: Sequence[MonthView], metric: str, label: str, site: str | None = None) -> list[str]:
    texts = []
    for v in views:
        if site is None:
            value, src = v.values.get(metric), v.sources.get(metric)
        else:
            figures = v.sites.get(site)
            value = figures.values.get(metric) if figures else None
            src = figures.sources.get(metric) if figures else None
        lines = [f"<b>{label}</b>", f"{v.period:%b %Y}: {_fmt(value, metric)}"]
        provenance = _provenance_text(src)
        if provenance and value is not None:
            lines.append(provenance)
        if v.revised_at is not None and value is not None:
            lines.append(f"revised {v.revised_at:%Y-%m-%d}: {v.revision_reason or ''}".strip())
        texts.append("<br>".join(lines))
    return texts


def _series(views: Sequence[MonthView], metric: str, site: str | None = None) -> list[float | None]:
    if site is None:
        return [_num(v.values.get(metric)) for v in views]
    return [_num(v.sites[site].values.get(metric)) if site in v.sites else None for v in views]


def _flag_symbols(views: Sequence[MonthView], metric: str) -> list[str]:
    """Open markers for estimates and illustrative figures, filled ones for reported figures."""
    out = []
    for v in views:
        src = v.sources.get(metric)
        out.append("circle-open" if src and (src.is_estimate or src.is_illustrative) else "circle")
    return out


def _event_overlay(events: Sequence[Event], start: dt.date, end: dt.date) -> tuple[list[dict], dict[str, Any]]:
    """Dashed vertical lines for events plus an invisible-line marker trace that carries their titles."""
    shown = [e for e in events if start <= e.date <= _month_end(end)]
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
        for e in shown
    ]
    trace = {
        "type": "scatter",
        "mode": "markers",
        "name": "Events",
        "x": [e.date.isoformat() for e in shown],
        "y": [1] * len(shown),
        "yaxis": "y2",
        "marker": {"symbol": "triangle-down", "size": 10, "color": EVENT_COLOUR},
        "hovertext": [f"<b>{e.title}</b><br>{e.date:%d %b %Y}" for e in shown],
        "hoverinfo": "text",
        "showlegend": bool(shown),
    }
    return shapes, trace


def _month_end(period: dt.date) -> dt.date:
    year, month = (period.year + 1, 1) if period.month == 12 else (period.year, period.month + 1)
    return dt.date(year, month, 1) - dt.timedelta(days=1)


def _layout(y_title: str, shapes: list[dict], **extra: Any) -> dict[str, Any]:
    # No Plotly title: the page's heading names the chart, once.
    return {
        "xaxis": {"type": "date", "tickformat": "%b %Y", "hoverformat": "%b %Y"},
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero", "separatethousands": True},
        # A hidden axis so event markers sit at the top whatever the data's scale.
        "yaxis2": {"overlaying": "y", "range": [0, 1.05], "visible": False, "fixedrange": True},
        "shapes": shapes,
        "hovermode": "closest",
        "legend": {"orientation": "h", "y": -0.2},
        "margin": {"l": 60, "r": 20, "t": 20, "b": 40},
        "separators": ".,",
        **extra,
    }


def _finish(traces: list[dict], layout: dict, event_trace: dict, alt: str) -> dict[str, Any]:
    return {"data": [*traces, event_trace], "layout": layout, "alt": alt}


def _site_bars(views: Sequence[MonthView], sites: Sequence[Site], metric: str) -> list[dict[str, Any]]:
    """One stacked bar trace per site with figures; illustrative ones hatched and labelled.

    Bars rather than a stacked area: a stacked area would draw a missing month as zero.
    """
    x = _x(views)
    traces: list[dict[str, Any]] = []
    for i, site in enumerate(sites):
        y = _series(views, metric, site.slug)
        if all(v is None for v in y):
            continue
        illustrative = any(v.sites.get(site.slug) and v.sites[site.slug].is_illustrative for v in views)
        traces.append(
            {
                "type": "bar",
                "name": site.name + (" (illustrative)" if illustrative else ""),
                "x": x,
                "y": y,
                "marker": {"color": PALETTE[i % len(PALETTE)], "pattern": {"shape": "/" if illustrative else ""}},
                "opacity": 0.8,
                "hovertext": _hover(views, metric, site.name, site.slug),
                "hoverinfo": "text",
            }
        )
    return traces


def hashrate_figure(views: Sequence[MonthView], sites: Sequence[Site], events: Sequence[Event]) -> dict[str, Any]:
    """Operating hashrate at month end: stacked site bars, the company's month-end and average lines."""
    x = _x(views)
    shapes, event_trace = _event_overlay(events, views[0].period, views[-1].period) if views else ([], {})
    traces = _site_bars(views, sites, "hashrate_end_ehs")
    traces.append(
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "Company, month end",
            "x": x,
            "y": _series(views, "hashrate_end_ehs"),
            "connectgaps": False,
            "line": {"color": TOTAL_COLOUR, "width": 2},
            "marker": {"symbol": _flag_symbols(views, "hashrate_end_ehs"), "size": 7},
            "hovertext": _hover(views, "hashrate_end_ehs", "Operating hashrate, month end"),
            "hoverinfo": "text",
        }
    )
    traces.append(
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "Company, monthly average",
            "x": x,
            "y": _series(views, "hashrate_avg_ehs"),
            "connectgaps": False,
            "line": {"color": TOTAL_COLOUR, "width": 1.5, "dash": "dash"},
            "marker": {"symbol": _flag_symbols(views, "hashrate_avg_ehs"), "size": 6},
            "hovertext": _hover(views, "hashrate_avg_ehs", "Average operating hashrate"),
            "hoverinfo": "text",
        }
    )
    alt = _alt_text("Operating hashrate at month end", views, "hashrate_end_ehs")
    return _finish(traces, _layout("EH/s", shapes, barmode="stack"), event_trace, alt)


def btc_mined_figure(views: Sequence[MonthView], sites: Sequence[Site], events: Sequence[Event]) -> dict[str, Any]:
    """BTC mined: stacked bars per site, the unallocated remainder, and the published total."""
    x = _x(views)
    shapes, event_trace = _event_overlay(events, views[0].period, views[-1].period) if views else ([], {})
    traces = _site_bars(views, sites, "btc_mined")
    unallocated = _series(views, "unallocated_btc")
    if any(v not in (None, 0.0) for v in unallocated):
        traces.append(
            {
                "type": "bar",
                "name": "Not allocated to a site",
                "x": x,
                "y": unallocated,
                "marker": {"color": "#9ca3af"},
                "hovertext": _hover(views, "unallocated_btc", "Not allocated to a site"),
                "hoverinfo": "text",
            }
        )
    traces.append(
        {
            "type": "scatter",
            "mode": "markers+lines",
            "name": "Published company total",
            "x": x,
            "y": _series(views, "btc_mined"),
            "connectgaps": False,
            "line": {"color": TOTAL_COLOUR, "width": 1.5},
            "marker": {"symbol": _flag_symbols(views, "btc_mined"), "size": 8, "color": TOTAL_COLOUR},
            "hovertext": _hover(views, "btc_mined", "BTC mined"),
            "hoverinfo": "text",
        }
    )
    alt = _alt_text("BTC mined per month", views, "btc_mined")
    return _finish(traces, _layout("BTC", shapes, barmode="stack"), event_trace, alt)


def treasury_figure(views: Sequence[MonthView], events: Sequence[Event]) -> dict[str, Any]:
    """Holdings at month end, with the month's mined and sold flows as bars."""
    x = _x(views)
    shapes, event_trace = _event_overlay(events, views[0].period, views[-1].period) if views else ([], {})
    sold = [None if v is None else -v for v in _series(views, "btc_sold")]
    traces = [
        {
            "type": "bar",
            "name": "Mined in the month",
            "x": x,
            "y": _series(views, "btc_mined_total"),
            "marker": {"color": "#16a34a"},
            "opacity": 0.6,
            "hovertext": _hover(views, "btc_mined_total", "Mined"),
            "hoverinfo": "text",
        },
        {
            "type": "bar",
            "name": "Sold in the month",
            "x": x,
            "y": sold,
            "marker": {"color": "#dc2626"},
            "opacity": 0.6,
            "hovertext": _hover(views, "btc_sold", "Sold"),
            "hoverinfo": "text",
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "Holdings at month end",
            "x": x,
            "y": _series(views, "btc_held_end"),
            "connectgaps": False,
            "line": {"color": "#d97706", "width": 2.5},
            "marker": {"symbol": _flag_symbols(views, "btc_held_end"), "size": 7},
            "hovertext": _hover(views, "btc_held_end", "Treasury holdings"),
            "hoverinfo": "text",
        },
    ]
    layout = _layout("BTC", shapes, barmode="relative")
    layout["yaxis"]["rangemode"] = "normal"
    alt = _alt_text("Treasury holdings at month end", views, "btc_held_end")
    return _finish(traces, layout, event_trace, alt)


def _alt_text(what: str, views: Sequence[MonthView], metric: str) -> str:
    """A sentence for screen readers: range, latest value, how many months are missing."""
    if not views:
        return f"{what}: no data."
    known = [(v.period, v.values.get(metric)) for v in views if v.values.get(metric) is not None]
    missing = len(views) - len(known)
    if not known:
        return f"{what}: no published figures from {views[0].period:%B %Y} to {views[-1].period:%B %Y}."
    last_period, last_value = known[-1]
    low = min(known, key=lambda kv: kv[1])  # type: ignore[arg-type,return-value]
    high = max(known, key=lambda kv: kv[1])  # type: ignore[arg-type,return-value]
    return (
        f"{what} from {views[0].period:%B %Y} to {views[-1].period:%B %Y}: latest {_fmt(last_value, metric)} "
        f"in {last_period:%B %Y}; lowest {_fmt(low[1], metric)} ({low[0]:%b %Y}), highest "
        f"{_fmt(high[1], metric)} ({high[0]:%b %Y}); {missing} month(s) without a published figure."
    )
