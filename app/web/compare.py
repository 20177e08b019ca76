"""Compare: one metric of several companies on one chart, including the normalised ones."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from app.cache.responses import revision_cached
from app.domain import charts
from app.domain.charts import Chart
from app.domain.metrics import METRICS
from app.http.deps import SessionDep
from app.http.problems import problem_response
from app.http.templating import templates
from app.store import queries
from app.store.queries.dashboard import company_data_summaries, load_companies_series
from app.web.chart_csv import csv_response, wants_units
from app.web.page_helpers import chart_context
from app.web.view_params import RANGES, ViewParams, parse_view_params

router = APIRouter()

# Normalised metrics first: they are the ones that compare miners of different sizes.
COMPARE_METRICS = (
    "btc_per_ehs_day",
    "fleet_efficiency_jth",
    "share_of_network_pct",
    "btc_mined",
    "btc_per_day",
    "hashrate_avg_ehs",
    "hashrate_end_ehs",
    "btc_held_end",
)
DEFAULT_METRIC = "btc_per_ehs_day"


def _build(request: Request, session: Session) -> tuple[dict[str, Any], Chart | None]:
    q = request.query_params
    metric = q.get("metric") or DEFAULT_METRIC
    if metric not in COMPARE_METRICS:
        raise HTTPException(status_code=400, detail=f"metric: use one of {', '.join(COMPARE_METRICS)}")
    params = parse_view_params(request)
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
        chart = charts.compare_chart(metric, [(c.slug, c.name, series[c.id]) for c in chosen])
        drawn = {s.key for s in chart.series}
        missing = [c.name for c in chosen if f"{metric}:{c.slug}" not in drawn]
    context = {
        "metric": metric,
        "metrics": COMPARE_METRICS,
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
    params: ViewParams = context["params"]
    base = params.query().lstrip("?")
    parts = [f"metric={context['metric']}"]
    if context["explicit"]:
        parts += [f"company={s}" for s in context["chosen_slugs"]]
    if base:
        parts.append(base)
    return "?" + "&".join(parts)


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
            chart = charts.compare_chart(context["metric"], [])
        return csv_response(chart, ["compare", context["metric"]], units=wants_units(request))

    try:
        return revision_cached(request, revision, build)
    except HTTPException as exc:
        detail = exc.detail if isinstance(exc.detail, str) else None
        name = (detail or "").split(":", 1)[0]
        errors = [{"path": f"query.{name}", "message": detail}] if detail and name.isidentifier() else []
        return problem_response(request, exc.status_code, detail, errors=errors, headers=dict(exc.headers or {}))
