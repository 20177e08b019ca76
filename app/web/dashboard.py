"""Investor pages: the company overview."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app import charts, queries
from app.deps import CompanyOr404, SessionDep
from app.models import Company
from app.reports import MonthView, with_changes
from app.response_cache import revision_cached
from app.templating import templates

router = APIRouter()

KPI_METRICS = ("btc_mined", "hashrate_avg_ehs", "fleet_efficiency_jth", "btc_held_end", "btc_per_ehs_day")


def _kpis(views: list[MonthView]) -> list[dict[str, Any]]:
    """The latest reported value of each headline metric, with its month and changes."""
    cards = []
    for metric in KPI_METRICS:
        latest = next((v for v in reversed(views) if v.values.get(metric) is not None), None)
        if latest is None:
            cards.append({"metric": metric, "value": None})
            continue
        mom, yoy = with_changes(views, metric)[latest.period]
        src = latest.sources.get(metric)
        cards.append(
            {
                "metric": metric,
                "value": latest.values[metric],
                "period": latest.period,
                "mom": mom,
                "yoy": yoy,
                "is_estimate": bool(src and (src.is_estimate or src.is_illustrative)),
                "revised": latest.revised_at is not None,
            }
        )
    return cards


def _render_overview(request: Request, company: Company, session: Any) -> Response:
    sites, views = queries.load_company_series(company, session=session)
    events = queries.list_events(session=session, company_id=company.id)
    figures = (
        {
            "hashrate": charts.hashrate_figure(views, sites, events),
            "btc_mined": charts.btc_mined_figure(views, sites, events),
            "treasury": charts.treasury_figure(views, events),
        }
        if views
        else {}
    )
    revision = queries.get_data_revision(session=session)
    illustrative = any(f.is_illustrative for v in views for f in v.sites.values())
    return templates.TemplateResponse(
        request,
        "dashboard/overview.html",
        {
            "company": company,
            "sites": sites,
            "views": views,
            "kpis": _kpis(views),
            "figures": {key: json.dumps(fig, separators=(",", ":")) for key, fig in figures.items()},
            "alts": {key: fig["alt"] for key, fig in figures.items()},
            "data_as_of": revision.changed_at,
            "illustrative": illustrative,
        },
    )


@router.get("/", response_class=HTMLResponse, name="dashboard:home")
def home(request: Request, session: SessionDep) -> Response:
    companies = queries.list_companies(session=session)
    if len(companies) == 1:
        return _render_overview(request, companies[0], session)
    return templates.TemplateResponse(request, "dashboard/company_list.html", {"companies": companies})


@router.get("/companies", include_in_schema=False)
def companies_redirect() -> RedirectResponse:
    return RedirectResponse("/", status_code=308)


@router.get("/companies/{slug}", response_class=HTMLResponse, name="dashboard:overview")
def overview(request: Request, company: CompanyOr404, session: SessionDep) -> Response:
    revision = queries.get_data_revision(session=session)
    return revision_cached(request, revision, lambda: _render_overview(request, company, session))
