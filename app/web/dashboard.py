"""Investor pages: the company overview, its chart CSVs, and the page builder the staff preview reuses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cache import page_store
from app.cache.responses import revision_cached
from app.domain import charts
from app.domain.charts import Chart
from app.domain.charts.points import from_kept_views
from app.domain.csvio import safe_cell
from app.domain.figure_history import publisher_of
from app.domain.month_memo import KeptFrom
from app.domain.quarters import RULES, Basis, Quarter, build_quarters
from app.domain.reports import MonthView, add_months
from app.http.assets import build_tag
from app.http.deps import CompanyOr404, SessionDep
from app.http.templating import templates
from app.store import queries
from app.store.models import Company, Event, Site
from app.store.queries.company_facts import CompanyFacts, company_facts
from app.store.queries.releases import list_releases
from app.store.queries.structure import stamps_and_structure
from app.web.as_of import as_of_context, as_of_of, load_as_of, releases_as_of
from app.web.chart_csv import csv_response, header_style
from app.web.home import company_rows
from app.web.page_helpers import HISTORY_MONTHS, TABLE_MONTHS, chart_context
from app.web.release_view import parse_release, release_context
from app.web.view_params import RANGES, ViewParams, is_default_view, parse_view_params

router = APIRouter()

OVERVIEW_TEMPLATE = "dashboard/overview.html"
# The columns of the overview's quarter table (flows, stocks at quarter end, day-weighted averages).
QUARTER_TABLE = (
    "btc_mined",
    "mining_revenue_usd",
    "btc_sold",
    "btc_held_end",
    "treasury_value_usd",
    "hashrate_avg_ehs",
    "realized_hashrate_ehs",
    "share_of_network_pct",
)
# The overview's quarters, kept by the identity of their months' kept views (app.domain.quarters.build_quarters):
# after a correction a page builds the changed quarter again, not forty. About 2 KB each.
QUARTERS: KeptFrom[Quarter] = KeptFrom(capacity=1024)


@dataclass(frozen=True, slots=True)
class _Loaded:
    """What a company page is built from: its sites and events, the views with a year of history before the range,
    the range's views, the company's summary, spans and releases, and the range."""

    sites: Sequence[Site]
    events: Sequence[Event]
    history: list[MonthView]
    views: list[MonthView]
    facts: CompanyFacts
    bounds: tuple[dt.date, dt.date] | None


def _load(
    company: Company, params: ViewParams, *, session: Session, published_only: bool, with_releases: bool = True
) -> _Loaded:
    """Everything a page of the company reads, its releases only `with_releases`."""
    stamps, structure = stamps_and_structure(company.id, session=session)
    sites, events = structure.sites, structure.events
    facts = company_facts(
        company.id, sites, session=session, published_only=published_only, with_releases=with_releases, stamps=stamps
    )
    bounds = params.resolve(facts.summary.first, facts.summary.last)
    if bounds is None or bounds[0] > bounds[1]:
        return _Loaded(sites, events, [], [], facts, bounds)
    start, end = bounds
    _, all_views = queries.load_company_series(
        company,
        session=session,
        start=add_months(start, -HISTORY_MONTHS),
        end=end,
        published_only=published_only,
        sites=sites,
        spans=facts.spans,
        stamps=facts.stamps,
    )
    views = [v for v in all_views if v.period >= start]
    return _Loaded(sites, events, all_views, views, facts, bounds)


def build_overview_context(
    company: Company,
    *,
    session: Session,
    params: ViewParams | None = None,
    published_only: bool = True,
    preview: bool = False,
    quarter_basis: Basis = "fiscal",
    release: dt.date | None = None,
    as_of: dt.datetime | None = None,
) -> dict[str, Any]:
    """Template context of the company overview; render it with templates/dashboard/overview.html.

    Signature: ``build_overview_context(company, *, session, params=None, published_only=True, preview=False)
    -> dict``. Investor pages call it with published_only=True. The staff preview passes published_only=False
    and preview=True: the page then shows a "Preview: includes draft figures" banner and offers no CSV
    downloads (those are public and published-only). `params` is the view from the query string
    (app.web.view_params.parse_view_params); None means the default view. Range links on the page are
    query-only, so they keep whatever path the page was served at. `release` is the month of `?release=`
    (app.web.release_view): the cards, summary and header show that release instead of the latest one.
    """
    params = params or ViewParams()
    if as_of is not None:  # the figures as published then (app.web.as_of)
        sites, history, views, summary, bounds = load_as_of(company, params, session=session, as_of=as_of)
        releases = releases_as_of(
            list_releases(company.id, session=session, published_only=published_only, site_ids=[s.id for s in sites]),
            as_of,
        )
        events: Sequence[Event] = queries.list_events(session=session, company_id=company.id)
    else:
        loaded = _load(company, params, session=session, published_only=published_only)
        sites, history, views, bounds, events = loaded.sites, loaded.history, loaded.views, loaded.bounds, loaded.events
        summary, releases = loaded.facts.summary, loaded.facts.releases or []
    known = [s.slug for s in sites]
    unknown = [s for s in params.sites if s not in known]
    if unknown:
        raise HTTPException(status_code=400, detail=f"site: no site {unknown[0]!r} in {company.name}")
    chart_list = []
    if views:
        # Views as of a moment are built for this page alone: nothing made from them is kept.
        with nullcontext() if as_of is not None else from_kept_views():
            chart_list = charts.overview_charts(views, sites, events, params.sites)
    illustrative = any(f.is_illustrative for v in views for f in v.sites.values())
    quarters = []
    if views:
        # From the views with their year of history, so the first quarter shown is whole.
        kept = None if as_of is not None else QUARTERS  # views as of a moment are built for one page
        shown = build_quarters(history, company.fiscal_year_end_month, quarter_basis, kept)
        quarters = [q for q in reversed(shown) if q.end >= views[0].period and q.start <= views[-1].period]
    shown_release = release_context(
        company,
        releases=releases,
        history=history,
        bounds=bounds,
        params=params,
        events=events,
        wanted=release,
        site_names={s.slug: s.name for s in sites},
        kept=as_of is None,
    )
    return {
        **shown_release,
        "company": company,
        "sites": sites,
        "params": params,
        "ranges": RANGES,
        "bounds": bounds,
        "first_period": summary.first,
        "last_period": summary.last,
        "views": views,
        # The staff preview has no public table pages to link to: it shows every month.
        "charts": [chart_context(c, table_months=None if preview else TABLE_MONTHS) for c in chart_list],
        "events": charts.events_in(events, [v.period for v in views]),
        "data_as_of": summary.changed_at,
        "illustrative": illustrative,
        "has_site_split": any(v.sites for v in views),
        "published_only": published_only,
        "preview": preview,
        "quarters": quarters,
        "quarter_basis": quarter_basis,
        "quarter_metrics": QUARTER_TABLE,
        "quarter_rules": RULES,
        # The downloads are today's figures: an as-of page offers none rather than mix two moments.
        "csv_base": None if preview or as_of is not None else f"/companies/{company.slug}/charts",
        "site_base": f"/companies/{company.slug}/sites",
        **as_of_context(company, as_of),
    }


def render_overview(
    request: Request, company: Company, *, session: Session, published_only: bool = True, preview: bool = False
) -> Response:
    """The overview page for this request's range and site filter, uncached (the staff preview's entry point).

    ``render_overview(request, company, *, session, published_only=True, preview=False) -> Response``; with
    drafts included the page must not go through the public, revision-keyed cache.
    """
    params = parse_view_params(request)
    basis = request.query_params.get("quarters") or "fiscal"
    if basis not in ("fiscal", "calendar"):
        raise HTTPException(status_code=400, detail="quarters: use fiscal or calendar")
    context = build_overview_context(
        company,
        session=session,
        params=params,
        release=parse_release(request),
        published_only=published_only,
        preview=preview,
        quarter_basis="calendar" if basis == "calendar" else "fiscal",
        as_of=as_of_of(request) if published_only else None,
    )
    return overview_page(context)


def overview_page(context: dict[str, Any]) -> HTMLResponse:
    """The overview rendered from its context: one path for a request and for a page rendered on publish."""
    return HTMLResponse(templates.get_template(OVERVIEW_TEMPLATE).render(context))


def overview_key(company_id: int) -> str:
    """Where the company's default overview is kept in app.cache.page_store (per release: see build_tag)."""
    return f"overview/{company_id}/{build_tag()}"


def prebuild_overviews(session: Session, company_ids: frozenset[int]) -> None:
    """Render the default overview of each company and store it for every worker (app.cache.page_store hook).

    The revision is read before the data: whatever the page shows is then at least as new as the revision it
    is filed under, so a concurrent publish can make it outdated (and so unused) but never wrongly current.
    A company whose page is stored already since its last change (a reader built it while the render waited
    for the writes to pause: app.cache.publish_hooks) is not rendered again.
    """
    revision = queries.get_data_revision(session=session).revision
    companies = session.scalars(select(Company).where(Company.id.in_(company_ids)).order_by(Company.id)).all()
    stored = page_store.current_keys(session, {overview_key(c.id): c.changed_revision for c in companies})
    pages = []
    for company in companies:
        if overview_key(company.id) in stored:
            continue
        page = overview_page(build_overview_context(company, session=session))
        pages.append(
            page_store.BuiltPage.make(
                overview_key(company.id), revision, bytes(page.body), page.headers["content-type"]
            )
        )
    # Built while reading; stored in a short writing transaction of its own (none when nothing was built).
    if pages:
        page_store.store(session, pages)


def _overview_response(request: Request, company: Company, session: Session) -> Response:
    revision = queries.get_data_revision(session=session)
    # The default view is kept in the shared store: rendered when the company publishes, or by the first
    # worker that builds it, and served to every worker until the company's data changes. It is the page a
    # release sends people to (also when spelled `?range=all`); other ranges and site filters are built on
    # demand by each worker.
    shared = None
    if is_default_view(request):
        since = select(Company.changed_revision).where(Company.id == company.id).scalar_subquery()
        shared = page_store.SharedPage(session, overview_key(company.id), revision.revision, since, company.id)

    return revision_cached(request, revision, lambda: render_overview(request, company, session=session), shared=shared)


@router.get("/", response_class=HTMLResponse, name="dashboard:home")
def home(request: Request, session: SessionDep) -> Response:
    companies = queries.list_companies(session=session)
    if len(companies) == 1:
        return _overview_response(request, companies[0], session)
    revision = queries.get_data_revision(session=session)

    def build() -> Response:
        rows = company_rows(companies, session=session)
        return templates.TemplateResponse(
            request, "dashboard/company_list.html", {"companies": companies, "rows": rows}
        )

    return revision_cached(request, revision, build)


@router.get("/companies", include_in_schema=False)
def companies_redirect() -> RedirectResponse:
    return RedirectResponse("/", status_code=308)


@router.get("/companies/{slug}", response_class=HTMLResponse, name="dashboard:overview")
def overview(request: Request, company: CompanyOr404, session: SessionDep) -> Response:
    return _overview_response(request, company, session)


def _overview_chart(params: ViewParams, key: str, company: Company, session: Session) -> tuple[Chart, list[str]]:
    """One overview chart for this range and site filter, and the parts of its download's name."""
    build = charts.OVERVIEW_CHARTS.get(key)
    if build is None:
        raise HTTPException(status_code=404, detail=f"No chart {key!r}: use one of {', '.join(charts.OVERVIEW_CHARTS)}")
    loaded = _load(company, params, session=session, published_only=True, with_releases=False)
    unknown = [s for s in params.sites if s not in {x.slug for x in loaded.sites}]
    if unknown:
        raise HTTPException(status_code=400, detail=f"site: no site {unknown[0]!r} in {company.name}")
    bounds, views = loaded.bounds, loaded.views
    span = f"{bounds[0]:%Y-%m}_{bounds[1]:%Y-%m}" if bounds and views else ""
    # Only the chart asked for: a CSV or table of one chart need not build the other five.
    with from_kept_views():
        return build(views, loaded.sites, loaded.events, params.sites), [company.slug, key, span]


@router.get("/companies/{slug}/charts/{chart}.csv", name="dashboard:chart_csv")
def overview_chart_csv(request: Request, chart: str, company: CompanyOr404, session: SessionDep) -> Response:
    """The data of one overview chart, for the same range and site filter as the page."""
    revision = queries.get_data_revision(session=session)

    def build() -> Response:
        found, name = _overview_chart(parse_view_params(request), chart, company, session)
        return csv_response(found, name, header=header_style(request))

    return revision_cached(request, revision, build)


@router.get("/companies/{slug}/charts/{chart}", response_class=HTMLResponse, name="dashboard:chart_table")
def overview_chart_table(request: Request, chart: str, company: CompanyOr404, session: SessionDep) -> Response:
    """Every month of one overview chart as a table (the overview's own table shows the latest months)."""
    revision = queries.get_data_revision(session=session)

    def build() -> Response:
        params = parse_view_params(request)
        found, _ = _overview_chart(params, chart, company, session)
        context = {
            "company": company,
            "chart": chart_context(found),
            "query": params.query(),
            "csv_url": f"/companies/{company.slug}/charts/{found.key}.csv{params.query()}",
        }
        return templates.TemplateResponse(request, "dashboard/chart_table.html", context)

    return revision_cached(request, revision, build)


templates.env.filters["exact"] = safe_cell
templates.env.filters["publisher"] = publisher_of  # a source link named by its host, not the word "source"
