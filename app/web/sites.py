"""Site pages: one site's trends, facts and monthly table, and its chart CSVs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from app.cache.responses import revision_cached
from app.domain import charts
from app.domain.charts import Chart
from app.domain.charts.points import from_kept_views
from app.domain.reports import MonthView, add_months
from app.http.deps import CompanyOr404, SessionDep
from app.http.templating import templates
from app.store import queries
from app.store.models import Company, Event, Site
from app.store.queries.company_facts import company_facts
from app.store.queries.month_stamps import Stamps
from app.store.queries.structure import stamps_and_structure
from app.web.chart_csv import csv_response, header_style
from app.web.page_helpers import HISTORY_MONTHS, TABLE_MONTHS, chart_context, kpi_cards
from app.web.site_life_view import site_life_context
from app.web.view_params import RANGES, ViewParams, parse_view_params

router = APIRouter()

# The columns of the site's monthly table, in order.
TABLE_METRICS = (
    "btc_mined",
    "hashrate_avg_ehs",
    "hashrate_end_ehs",
    "hashrate_deployed_ehs",
    "fleet_efficiency_jth",
    "btc_per_ehs_day",
    "share_of_network_pct",
    "miners_deployed",
    "power_capacity_mw",
    "energy_mwh",
    "power_cost_usd_kwh",
    "uptime_pct",
    "curtailment_hours",
)


@dataclass(frozen=True, slots=True)
class CompanySite:
    """A site and every site of its company: a site page needs both (the company's bounds are over all of them).
    The company's stamps, read before them, and its events come with them (app.store.queries.structure)."""

    site: Site
    sites: Sequence[Site]
    events: Sequence[Event]
    stamps: Stamps


def site_or_404(site: str, company: CompanyOr404, session: SessionDep) -> CompanySite:
    stamps, structure = stamps_and_structure(company.id, session=session)
    found = next((s for s in structure.sites if s.slug == site), None)
    if found is None:
        raise HTTPException(status_code=404, detail=f"No site {site!r} in {company.name}")
    return CompanySite(found, structure.sites, structure.events, stamps)


SiteOr404 = Annotated[CompanySite, Depends(site_or_404)]


def _load(
    company: Company, found: CompanySite, params: ViewParams, *, session: Session, published_only: bool
) -> tuple[list[MonthView], list[MonthView], list[Chart], Any, Any]:
    # The company's bounds, as the overview's (a site page offers the same ranges), and this site's span with them.
    site = found.site
    facts = company_facts(
        company.id,
        found.sites,
        session=session,
        published_only=published_only,
        with_releases=False,
        stamps=found.stamps,
    )
    summary = facts.summary
    bounds = params.resolve(summary.first, summary.last)
    events = [e for e in found.events if e.site_id in (None, site.id)]
    if bounds is None or bounds[0] > bounds[1]:
        return [], [], [], summary, bounds
    start, end = bounds
    history = queries.load_site_series(
        site,
        session=session,
        start=add_months(start, -HISTORY_MONTHS),
        end=end,
        published_only=published_only,
        spans={site.id: facts.spans[site.id]} if site.id in facts.spans else {},
        stamps=facts.stamps,
    )
    views = [v for v in history if v.period >= start]
    if params.range == "all":
        # A site that started later than the company: its page starts with its first figures.
        first = next((i for i, v in enumerate(views) if v.sites), len(views))
        views = views[first:]
    with from_kept_views():  # the site's kept views (month_views.SITE_VIEWS)
        chart_list = charts.site_charts(views, events) if views else []
    return history, views, chart_list, summary, bounds


def build_site_context(
    company: Company,
    found: CompanySite,
    *,
    session: Session,
    params: ViewParams | None = None,
    published_only: bool = True,
    preview: bool = False,
) -> dict[str, Any]:
    """Template context of a site page (templates/dashboard/site.html); the flags work as for the overview.
    `found` is the site with all the company's sites and events (site_or_404 reads them)."""
    params = params or ViewParams()
    site = found.site
    history, views, chart_list, summary, bounds = _load(
        company, found, params, session=session, published_only=published_only
    )
    has_figures = any(v.sites for v in views)
    return {
        "company": company,
        "site": site,
        "params": ViewParams(params.range, params.period_from, params.period_to, ()),
        "ranges": RANGES,
        "bounds": bounds,
        "first_period": summary.first,
        "last_period": summary.last,
        "views": views if has_figures else [],
        # Treasury is the company's, not a site's.
        "kpis": [c for c in kpi_cards(history) if c["metric"] != "btc_held_end"] if has_figures else [],
        # The page ends with every month in one table, so each chart's own table keeps the latest months.
        "charts": [chart_context(c, table_months=TABLE_MONTHS) for c in chart_list] if has_figures else [],
        # Columns the site never reported in these months stay out of the table.
        "table_metrics": [m for m in TABLE_METRICS if any(v.values.get(m) is not None for v in views)],
        "illustrative": any(f.is_illustrative for v in views for f in v.sites.values()),
        "data_as_of": summary.changed_at,
        "preview": preview,
        "csv_base": None if preview else f"/companies/{company.slug}/sites/{site.slug}/charts",
        **site_life_context(site, session=session),
    }


@router.get("/companies/{slug}/sites/{site}", response_class=HTMLResponse, name="dashboard:site")
def site_page(request: Request, company: CompanyOr404, site: SiteOr404, session: SessionDep) -> Response:
    revision = queries.get_data_revision(session=session)

    def build() -> Response:
        params = parse_view_params(request)
        context = build_site_context(company, site, session=session, params=params)
        return templates.TemplateResponse(request, "dashboard/site.html", context)

    return revision_cached(request, revision, build)


@router.get("/companies/{slug}/sites/{site}/charts/{chart}.csv", name="dashboard:site_chart_csv")
def site_chart_csv(
    request: Request, chart: str, company: CompanyOr404, site: SiteOr404, session: SessionDep
) -> Response:
    revision = queries.get_data_revision(session=session)

    def build() -> Response:
        params = parse_view_params(request)
        # The page's own charts (kept between builds): a CSV is their series, whatever events they mark. Without
        # figures in the range there are none drawn, but each chart still answers, with its header only.
        _, views, drawn, _, bounds = _load(company, site, params, session=session, published_only=True)
        found = {c.key: c for c in drawn or charts.site_charts(views, [])}
        if chart not in found:
            raise HTTPException(status_code=404, detail=f"No chart {chart!r}: use one of {', '.join(found)}")
        span = f"{bounds[0]:%Y-%m}_{bounds[1]:%Y-%m}" if bounds and views else ""
        return csv_response(found[chart], [company.slug, site.site.slug, chart, span], header=header_style(request))

    return revision_cached(request, revision, build)
