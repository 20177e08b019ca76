"""Sites and their monthly figures (published only; one row per stored site month)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.api.common import (
    LIST_PATTERN,
    READ_ERRORS,
    FormatQuery,
    FromQuery,
    LimitQuery,
    ProvenanceQuery,
    ShapeQuery,
    SiteMetricsQuery,
    SiteMonthCursor,
    SlugCursor,
    ToQuery,
    cached,
    csv_response,
    csv_response_doc,
    csv_text,
    cursor_period_and_slug,
    json_response,
    negotiate,
    next_link,
    period_range,
    select_metrics,
    units_for,
)
from app.api.deps import ApiCompany, ApiSite
from app.api.resources import resource_response, site_body
from app.domain.metrics import METRICS, SITE_METRICS
from app.http.deps import SessionDep
from app.http.problems import ApiProblem
from app.schemas import SiteRead, format_period
from app.schemas.api import SiteDetail, SiteMonthly, SitePage
from app.store import queries
from app.store.models import Company, SiteMonth
from app.store.queries import public

router = APIRouter(prefix="/api/v1", tags=["sites"])


SitesQuery = Annotated[
    str | None,
    Query(
        max_length=2000,
        pattern=LIST_PATTERN,
        description="Comma-separated site slugs; default every site",
        examples=["sandersville,washington"],
    ),
]


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
    limit: LimitQuery = 100,
    cursor: SlugCursor = None,
) -> Response:
    """The company's sites, ordered by slug."""
    chosen = negotiate(request, fmt)

    def build() -> Response:
        rows = public.page_sites(company.id, session=session, after=cursor, limit=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        nxt = next_link(request, rows[-1].slug) if more else None
        items = [SiteRead.model_validate(s).model_dump() for s in rows]
        if chosen == "csv":
            header = ["slug", "name", "region", "status", "capacity_mw", "energized_on"]
            body = csv_text(
                ["slug", "name", "region", "status", "capacity_mw (MW)", "energized_on"],
                ([i[h] for h in header] for i in items),
            )
            return csv_response(body, f"{company.slug}-sites.csv", next_url=nxt)
        return json_response({"company": company.slug, "data": items, "next": nxt, "limit": limit}, next_url=nxt)

    return cached(request, session, chosen, build)


@router.get("/companies/{slug}/sites/{site}", response_model=SiteDetail, responses=READ_ERRORS, summary="One site")
def get_site(request: Request, company: ApiCompany, site: ApiSite, session: SessionDep) -> Response:
    """The site, its note and the first and last month with its published figures. Its ETag is the one
    `If-Match` names to replace the site (PUT)."""
    return resource_response(request, site_body(company, site, session=session))


def site_month_dict(row: SiteMonth, slug: str, names: tuple[str, ...], provenance: bool) -> dict[str, Any]:
    revised = row.revised_at is not None
    out: dict[str, Any] = {
        "period": format_period(row.period),
        "site": slug,
        "is_illustrative": row.is_illustrative,
        "is_estimate": row.is_estimate,
        "source_url": row.source_url,
        "note": row.note,
        "revised": revised,
        "revised_at": row.revised_at,
        "revision_reason": row.revision_reason,
        "sources": None,
    }
    out.update({name: getattr(row, name) for name in names})
    if provenance:
        per_figure: dict[str, Any] = row.figure_sources or {}
        sources: dict[str, Any] = {}
        for name in names:
            if getattr(row, name) is None:
                continue
            entry = per_figure.get(name) or {}
            sources[name] = {
                "source_url": entry.get("source_url") or row.source_url,
                "is_estimate": bool(entry.get("is_estimate", row.is_estimate)),
                "is_illustrative": row.is_illustrative,
                "revised": revised,
            }
        out["sources"] = sources
    return out


SITE_LONG_HEADER = [
    "period",
    "site",
    "metric",
    "value",
    "unit",
    "source_url",
    "is_estimate",
    "is_illustrative",
    "revised",
]


def _site_csv(rows: list[dict[str, Any]], names: tuple[str, ...], shape: str) -> bytes:
    if shape == "long":

        def lines() -> Any:
            for r in rows:
                for n in names:
                    if r[n] is None:
                        continue
                    flags = (r[k] for k in ("source_url", "is_estimate", "is_illustrative", "revised"))
                    yield [r["period"], r["site"], n, r[n], METRICS[n].unit, *flags]

        return csv_text(SITE_LONG_HEADER, lines())
    header = ["period", "site", *(f"{n} ({METRICS[n].unit})" for n in names)]
    header += ["source_url", "is_estimate", "is_illustrative", "revised", "revised_at", "revision_reason", "note"]
    tail = ["source_url", "is_estimate", "is_illustrative", "revised", "revised_at", "revision_reason", "note"]
    return csv_text(
        header,
        (
            [
                r["period"],
                r["site"],
                *(r[n] for n in names),
                *((r[t].isoformat() if t == "revised_at" and r[t] else r[t]) for t in tail),
            ]
            for r in rows
        ),
    )


def _site_months(
    request: Request,
    session: Any,
    company: Company,
    *,
    site: str | None,
    site_slugs: list[str] | None,
    period_from: str | None,
    period_to: str | None,
    provenance: bool,
    metrics: str | None,
    fmt: Any,
    shape: str,
    limit: int,
    cursor: str | None,
) -> Response:
    chosen = negotiate(request, fmt)
    names = select_metrics(metrics, SITE_METRICS)
    start, end = period_range(period_from, period_to)
    after = cursor_period_and_slug(cursor)

    def build() -> Response:
        found = public.page_site_months(
            company.id, session=session, site_slugs=site_slugs, start=start, end=end, after=after, limit=limit + 1
        )
        more = len(found) > limit
        found = found[:limit]
        rows = [site_month_dict(row, slug, names, provenance) for row, slug in found]
        nxt = next_link(request, f"{rows[-1]['period']}~{rows[-1]['site']}") if more else None
        if chosen == "csv":
            name = f"{company.slug}-{site or 'sites'}-monthly-{shape}.csv"
            return csv_response(_site_csv(rows, names, shape), name, next_url=nxt)
        body = {
            "company": company.slug,
            "site": site,
            "units": units_for(names),
            "data": rows,
            "next": nxt,
            "limit": limit,
        }
        return json_response(body, next_url=nxt)

    return cached(request, session, f"{chosen}-{shape}", build)


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
    limit: LimitQuery = 100,
    cursor: SiteMonthCursor = None,
) -> Response:
    """Published site months of the company, ordered by (period, site); one row per site and month reported."""
    slugs = [s for s in sites.split(",") if s] if sites else None
    if slugs is not None:
        known = {s.slug for s in queries.list_sites(company.id, session=session)}
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
    limit: LimitQuery = 100,
    cursor: SiteMonthCursor = None,
) -> Response:
    """The site's published months in order; a month the site did not report is absent (a gap, not a zero)."""
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
        limit=limit,
        cursor=cursor,
    )
