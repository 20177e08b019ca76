"""The compare chart: one metric of several companies, as reported, per EH/s or indexed to 100."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

from app.domain.charts.figure import Chart, Point, Series, colour, finish
from app.domain.charts.layout import NORMAL_RANGE
from app.domain.charts.points import company_points
from app.domain.coverage import partial_label
from app.domain.metrics import METRICS
from app.domain.month_views import sources_of
from app.domain.reports import MonthView

Normalise = Literal["none", "per_ehs", "index"]
NORMALISATIONS: dict[str, str] = {
    "none": "As reported",
    "per_ehs": "Per EH/s of average operating hashrate",
    "index": "Indexed: first month shown = 100",
}
# Size-driven figures: dividing by the hashrate that produced them compares miners of different sizes.
PER_EHS_METRICS = ("btc_mined", "btc_per_day", "mining_revenue_usd", "btc_held_end", "treasury_value_usd")


def _per_ehs(views: Sequence[MonthView], metric: str) -> tuple[Point, ...]:
    """metric ÷ average operating hashrate; a gap unless both were reported (never a month-end stand-in)."""
    out = []
    for v in views:
        value, hashrate = v.values.get(metric), v.values.get("hashrate_avg_ehs")
        if value is None or hashrate is None or hashrate == 0:
            out.append(Point(None))
            continue
        partial = partial_label(v.coverage, metric) or partial_label(v.coverage, "hashrate_avg_ehs")
        sources = (*sources_of(v, metric), *sources_of(v, "hashrate_avg_ehs"))
        out.append(Point(Decimal(value) / hashrate, sources, partial=partial))
    return tuple(out)


def _indexed(points: tuple[Point, ...]) -> tuple[Point, ...]:
    """Each value ÷ the first value in the range × 100; a series that starts at zero cannot be indexed."""
    base = next((p.value for p in points if p.value is not None), None)
    if base is None or base == 0:
        return tuple(Point(None) for _ in points)
    return tuple(
        Point(None) if p.value is None else Point(p.value / base * 100, p.sources, p.revised, p.partial) for p in points
    )


def compare_chart(
    metric: str, named_views: Sequence[tuple[str, str, Sequence[MonthView]]], normalise: Normalise = "none"
) -> Chart:
    """One metric for several companies on one chart; named_views = (slug, name, views) with equal periods."""
    if normalise == "per_ehs" and metric not in PER_EHS_METRICS:
        raise ValueError(f"{metric} is not normalised per EH/s; use one of {', '.join(PER_EHS_METRICS)}")
    spec = METRICS[metric]
    periods = [v.period for v in named_views[0][2]] if named_views else []
    unit, decimals, formula = spec.unit, spec.decimals, spec.formula
    if normalise == "per_ehs":
        unit, decimals, formula = f"{spec.unit} per EH/s", max(spec.decimals, 2), f"{metric} / hashrate_avg_ehs"
    elif normalise == "index":
        unit, decimals = "index", 1
        formula = f"{metric} / {metric} in the company's first month with a figure in this range × 100"
    series = []
    for i, (slug, name, views) in enumerate(named_views):
        points = _per_ehs(views, metric) if normalise == "per_ehs" else company_points(views, metric)
        if normalise == "index":
            points = _indexed(points)
        series.append(
            Series(
                f"{metric}:{slug}",
                name,
                metric,
                points,
                colour=colour(i),
                unit_override=unit if normalise != "none" else None,
                decimals_override=decimals if normalise != "none" else None,
                formula_override=formula if normalise != "none" else None,
            )
        )
    title = spec.label if normalise == "none" else f"{spec.label}, {NORMALISATIONS[normalise].lower()}"
    chart = Chart("compare", title, unit, periods, series)
    if spec.lower_is_better:
        chart.note = f"{spec.label} in {spec.unit}: lower is better."
    if normalise == "per_ehs":
        chart.note = "Divided by each company's reported average operating hashrate; months without it are gaps."
    elif normalise == "index":
        chart.note = "Each company's figures ÷ its first figure in these months × 100: growth, whatever the size."
    if metric != "btc_held_end" or normalise != "none":
        return finish(chart, yaxis=NORMAL_RANGE)
    return finish(chart)
