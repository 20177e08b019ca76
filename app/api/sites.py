"""Sites and their monthly figures (published only; one row per stored site month)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.api.common import (
    DEFAULT_LIMIT,
    READ_ERRORS,
    ShapeName,
    cached,
    csv_response,
    csv_response_doc,
    csv_text,
    json_response,
    negotiate,
    next_link,
    refuse_partial_csv,
)
from app.api.deps import ApiCompany, ApiSite
from app.api.params import (
    FormatQuery,
    FromQuery,
    HeaderName,
    HeaderQuery,
    LimitQuery,
    ProvenanceQuery,
    SeriesCursor,
    ShapeQuery,
    SiteMetricsQuery,
    SitesQuery,
    SlugCursor,
    ToQuery,
    period_range,
    select_metrics,
    split_slugs,
)
from app.api.records import SITE_EXTRA, series_bounds, site_records
from app.api.resources import resource_response, site_body
from app.api.series import Layout, answer
from app.domain.metrics import SITE_METRICS
from app.http.deps import SessionDep
from app.http.problems import ApiProblem
from app.schemas import SiteRead
from app.schemas.api import SiteDetail, SiteMonthly, SitePage
from app.store import queries
from app.store.models import Company
from app.store.queries import public
from app.store.queries.figure_history import list_history

router = APIRouter(prefix="/api/v1", tags=["sites"])


@router.get(
    "/companies/{slug}/sites",
    response_model=SitePage,
    responses={200: csv_response_doc("Sites as CSV"), **READ_ERRORS},
    summary="A company's sites",
)
def list_sites(
    request: Request,
    company: ApiCompany,
    session: SessionDep,
    fmt: FormatQuery = None,
    limit: LimitQuery = None,
    cursor: SlugCursor = None,
) -> Response:
    """The company's sites, ordered by slug."""
    chosen = negotiate(request, fmt)
    size = limit or DEFAULT_LIMIT

    def build() -> Response:
        rows = public.page_sites(company.id, session=session, after=cursor, limit=size + 1)
        more = len(rows) > size
        rows = rows[:size]
        if more and chosen == "csv" and limit is None and cursor is None:
            raise refuse_partial_csv(None, size)
        nxt = next_link(request, rows[-1].slug) if more else None
        items = [SiteRead.model_validate(s).model_dump() for s in rows]
        if chosen == "csv":
            header = ["slug", "name", "region", "status", "capacity_mw", "energized_on", "retired_on"]
            body = csv_text(
                ["company", *header],
                ([company.slug, *(i[h] for h in header)] for i in items),
            )
            return csv_response(body, f"{company.slug}-sites.csv", next_url=nxt)
        body_json = {"company": company.slug, "count": len(items), "data": items, "next": nxt, "limit": size}
        return json_response(body_json, next_url=nxt)

    return cached(request, session, chosen, build)


@router.get("/companies/{slug}/sites/{site}", response_model=SiteDetail, responses=READ_ERRORS, summary="One site")
def get_site(request: Request, company: ApiCompany, site: ApiSite, session: SessionDep) -> Response:
    """The site, its note and the first and last month with its published figures. Its ETag is the one
    `If-Match` names to replace the site (PUT)."""
    return resource_response(request, site_body(company, site, session=session))


def _site_months(
    request: Request,
    session: Any,
    company: Company,
    *,
    site: str | None,
    site_slugs: list[str],
    period_from: str | None,
    period_to: str | None,
    provenance: bool,
    metrics: str | None,
    fmt: Any,
    shape: ShapeName,
    header: HeaderName,
    limit: int | None,
    cursor: str | None,
) -> Response:
    chosen = negotiate(request, fmt)
    names = select_metrics(metrics, SITE_METRICS)
    start, end = period_range(period_from, period_to)
    layout = Layout(
        names,
        chosen,
        shape,
        key_columns=("company", "site"),
        extra_columns=SITE_EXTRA,
        provenance=provenance,
        header=header,
    )

    def build() -> Response:
        found = public.page_site_months(company.id, session=session, site_slugs=site_slugs, start=start, end=end)
        first, last = series_bounds(start, end, (row.period for row, _ in found))
        records = []
        if first and last:
            # Only what gives a figure a title or its corrections (see list_history), as the series loads read it.
            history = list_history(company.id, session=session, start=first, end=last, for_provenance=True)
            records = site_records(company.slug, site_slugs, found, names, first, last, history)
        return answer(
            request,
            records,
            layout,
            limit=limit,
            cursor=cursor,
            paged=shape == "long",
            filename=f"{company.slug}-{site or 'sites'}-monthly-{shape}.csv",
            envelope={"company": company.slug, "site": site},
            first=first,
            last=last,
        )

    return cached(request, session, chosen, build)


@router.get(
    "/companies/{slug}/site-monthly",
    response_model=SiteMonthly,
    responses={200: csv_response_doc("Site months as CSV (wide or long)"), **READ_ERRORS},
    summary="Monthly figures of several sites",
)
def sites_monthly(
    request: Request,
    company: ApiCompany,
    session: SessionDep,
    sites: SitesQuery = None,
    period_from: FromQuery = None,
    period_to: ToQuery = None,
    provenance: ProvenanceQuery = False,
    metrics: SiteMetricsQuery = None,
    fmt: FormatQuery = None,
    shape: ShapeQuery = "wide",
    header: HeaderQuery = "names",
    limit: LimitQuery = None,
    cursor: SeriesCursor = None,
) -> Response:
    """Published site months of the company, ordered by (period, site): every month from the first to the last
    with a figure of the sites asked for (default every site), each of them on it (nulls where not reported)."""
    known = sorted(s.slug for s in queries.list_sites(company.id, session=session))
    slugs = split_slugs(sites) or known
    if sites:
        unknown = [s for s in slugs if s not in known]
        if unknown:
            raise ApiProblem(
                404,
                f"Unknown site: {', '.join(unknown)}",
                errors=[{"path": "query.sites", "message": f"{company.slug!r} has no site {s!r}"} for s in unknown],
            )
    return _site_months(
        request,
        session,
        company,
        site=None,
        site_slugs=slugs,
        period_from=period_from,
        period_to=period_to,
        provenance=provenance,
        metrics=metrics,
        fmt=fmt,
        shape=shape,
        header=header,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/companies/{slug}/sites/{site}/monthly",
    response_model=SiteMonthly,
    responses={200: csv_response_doc("The site's months as CSV (wide or long)"), **READ_ERRORS},
    summary="One site's monthly figures",
)
def site_monthly(
    request: Request,
    company: ApiCompany,
    site: ApiSite,
    session: SessionDep,
    period_from: FromQuery = None,
    period_to: ToQuery = None,
    provenance: ProvenanceQuery = False,
    metrics: SiteMetricsQuery = None,
    fmt: FormatQuery = None,
    shape: ShapeQuery = "wide",
    header: HeaderQuery = "names",
    limit: LimitQuery = None,
    cursor: SeriesCursor = None,
) -> Response:
    """The site's published months in order: every month from the first to the last with a figure (or `from`/`to`);
    a month the site did not report is a row of nulls (a gap, not a zero)."""
    return _site_months(
        request,
        session,
        company,
        site=site.slug,
        site_slugs=[site.slug],
        period_from=period_from,
        period_to=period_to,
        provenance=provenance,
        metrics=metrics,
        fmt=fmt,
        shape=shape,
        header=header,
        limit=limit,
        cursor=cursor,
    )
