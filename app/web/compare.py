"""Compare: one metric of several companies on one chart, as reported, per EH/s or indexed to 100."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from app.cache.responses import revision_cached
from app.domain import charts
from app.domain.charts import Chart
from app.domain.charts.compare import Normalise
from app.domain.metrics import METRICS
from app.http.deps import SessionDep
from app.http.problems import problem_response
from app.http.templating import templates
from app.schemas import format_period
from app.store import queries
from app.store.queries.dashboard import company_data_summaries, load_companies_series
from app.web.chart_csv import csv_response, header_style
from app.web.page_helpers import chart_context
from app.web.view_params import RANGES, ViewParams, parse_view_params

router = APIRouter()

# BTC mined first: the figure every miner publishes, so the default view compares everyone.
COMPARE_METRICS = (
    "btc_mined",
    "realized_hashrate_ehs",
    "share_of_network_pct",
    "btc_per_ehs_day",
    "fleet_efficiency_jth",
    "mining_revenue_usd",
    "btc_held_end",
    "treasury_value_usd",
    "hashrate_avg_ehs",
    "hashrate_end_ehs",
    "realization_pct",
    "btc_per_day",
)
DEFAULT_METRIC = "btc_mined"
# Without a range in the URL: the last two years, where most miners have published.
DEFAULT_COMPARE_RANGE = "24m"


def _build(request: Request, session: Session) -> tuple[dict[str, Any], Chart | None]:
    q = request.query_params
    metric = q.get("metric") or DEFAULT_METRIC
    if metric not in COMPARE_METRICS:
        raise HTTPException(status_code=400, detail=f"metric: use one of {', '.join(COMPARE_METRICS)}")
    normalise = cast(Normalise, q.get("normalise") or "none")
    if normalise not in charts.NORMALISATIONS:
        raise HTTPException(status_code=400, detail=f"normalise: use one of {', '.join(charts.NORMALISATIONS)}")
    if normalise == "per_ehs" and metric not in charts.PER_EHS_METRICS:
        raise HTTPException(
            status_code=400,
            detail=f"normalise=per_ehs: {metric} is not divided by hashrate; use {', '.join(charts.PER_EHS_METRICS)}",
        )
    params = parse_view_params(request)
    if params.range == "all" and "range" not in q:
        params = replace(params, range=DEFAULT_COMPARE_RANGE)
    if params.sites:
        raise HTTPException(status_code=400, detail="site: the compare page compares companies, not sites")
    companies = list(queries.list_companies(session=session))
    by_slug = {c.slug: c for c in companies}
    wanted = list(dict.fromkeys(q.getlist("company")))
    unknown = [s for s in wanted if s not in by_slug]
    if unknown:
        raise HTTPException(status_code=400, detail=f"company: no company {unknown[0]!r}")
    summaries = company_data_summaries([c.id for c in companies], session=session)
    with_data = [c for c in companies if c.id in summaries and summaries[c.id].first is not None]
    chosen = [by_slug[s] for s in wanted] if wanted else with_data
    firsts = [f for c in chosen if c.id in summaries and (f := summaries[c.id].first) is not None]
    lasts = [last for c in chosen if c.id in summaries and (last := summaries[c.id].last) is not None]
    bounds = params.resolve(min(firsts) if firsts else None, max(lasts) if lasts else None)
    chart = None
    missing: list[str] = []
    if chosen and bounds and bounds[0] <= bounds[1]:
        series = load_companies_series(chosen, session=session, start=bounds[0], end=bounds[1])
        chart = charts.compare_chart(metric, [(c.slug, c.name, series[c.id]) for c in chosen], normalise)
        drawn = {s.key for s in chart.series}
        missing = [c.name for c in chosen if f"{metric}:{c.slug}" not in drawn]
    context = {
        "metric": metric,
        "metrics": COMPARE_METRICS,
        "normalise": normalise,
        "normalisations": charts.NORMALISATIONS,
        "per_ehs_metrics": charts.PER_EHS_METRICS,
        "params": params,
        "ranges": RANGES,
        "companies": companies,
        "with_data": with_data,
        "chosen": chosen,
        "chosen_slugs": [c.slug for c in chosen],
        "explicit": bool(wanted),
        "bounds": bounds,
        "compare_chart": chart_context(chart) if chart is not None else None,
        "spec": METRICS[metric],
        "missing": missing,
    }
    return context, chart


def _query(context: dict[str, Any]) -> str:
    """This view's query string, the range always explicit (the page's default differs from other pages')."""
    params: ViewParams = context["params"]
    pairs = [("metric", context["metric"])]
    if context["normalise"] != "none":
        pairs.append(("normalise", context["normalise"]))
    if context["explicit"]:
        pairs += [("company", s) for s in context["chosen_slugs"]]
    if params.range == "custom":
        pairs += [(k, format_period(v)) for k, v in (("from", params.period_from), ("to", params.period_to)) if v]
    else:
        pairs.append(("range", params.range))
    return "?" + urlencode(pairs)


@router.get("/compare", response_class=HTMLResponse, name="dashboard:compare")
def compare(request: Request, session: SessionDep) -> Response:
    revision = queries.get_data_revision(session=session)

    def build() -> Response:
        context, _ = _build(request, session)
        context["csv_url"] = "/compare.csv" + _query(context)
        return templates.TemplateResponse(request, "dashboard/compare.html", context)

    return revision_cached(request, revision, build)


@router.get("/compare.csv", name="dashboard:compare_csv")
def compare_csv(request: Request, session: SessionDep) -> Response:
    """The compare chart's data; an error is a problem document (a script reads it), never an HTML page."""
    revision = queries.get_data_revision(session=session)

    def build() -> Response:
        context, chart = _build(request, session)
        if chart is None:
            chart = charts.compare_chart(context["metric"], [], context["normalise"])
        suffix = "" if context["normalise"] == "none" else context["normalise"]
        return csv_response(chart, ["compare", context["metric"], suffix], header=header_style(request))

    try:
        return revision_cached(request, revision, build)
    except HTTPException as exc:
        detail = exc.detail if isinstance(exc.detail, str) else None
        name = (detail or "").split(":", 1)[0]
        errors = [{"path": f"query.{name}", "message": detail}] if detail and name.isidentifier() else []
        return problem_response(request, exc.status_code, detail, errors=errors, headers=dict(exc.headers or {}))
