"""Companies: the list, one company, and a company's monthly figures (sums, weighted means, derived metrics)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.api.common import (
    DEFAULT_LIMIT,
    READ_ERRORS,
    cached,
    csv_response,
    csv_response_doc,
    csv_text,
    json_response,
    negotiate,
    next_link,
    refuse_partial_csv,
)
from app.api.deps import ApiCompany
from app.api.params import (
    AsOfQuery,
    ChangesQuery,
    FormatQuery,
    FromQuery,
    HeaderQuery,
    LimitQuery,
    MetricsQuery,
    ProvenanceQuery,
    SeriesCursor,
    ShapeQuery,
    SlugCursor,
    ToQuery,
    parse_as_of_query,
    period_range,
    select_metrics,
)
from app.api.records import company_layout, company_records, series_bounds
from app.api.resources import company_body, company_fields, resource_response
from app.api.series import answer
from app.domain.metrics import METRICS
from app.domain.reports import MonthView, add_months
from app.http.deps import SessionDep
from app.schemas import CompanyMonthly
from app.schemas.api import CompanyDetail, CompanyPage
from app.store import queries
from app.store.models import Company
from app.store.queries import public
from app.store.queries.figure_as_of import load_company_series_as_of, period_bounds_as_of, published_entries

router = APIRouter(prefix="/api/v1", tags=["companies"])

CHANGE_LOOKBACK = 12


@router.get(
    "/companies",
    response_model=CompanyPage,
    responses={200: csv_response_doc("Companies as CSV"), **READ_ERRORS},
    summary="List companies",
)
def list_companies(
    request: Request,
    session: SessionDep,
    fmt: FormatQuery = None,
    limit: LimitQuery = None,
    cursor: SlugCursor = None,
) -> Response:
    """Every company, ordered by slug."""
    chosen = negotiate(request, fmt)
    size = limit or DEFAULT_LIMIT

    def build() -> Response:
        rows = public.page_companies(session=session, after=cursor, limit=size + 1)
        more = len(rows) > size
        rows = rows[:size]
        if more and chosen == "csv" and limit is None and cursor is None:
            raise refuse_partial_csv(None, size)
        nxt = next_link(request, rows[-1].slug) if more else None
        items = [company_fields(c) for c in rows]
        if chosen == "csv":
            header = ["slug", "name", "ticker", "fiscal_year_end_month"]
            content = csv_text(header, ([i[h] for h in header] for i in items))
            return csv_response(content, "companies.csv", next_url=nxt)
        return json_response({"count": len(items), "data": items, "next": nxt, "limit": size}, next_url=nxt)

    return cached(request, session, chosen, build)


@router.get("/companies/{slug}", response_model=CompanyDetail, responses=READ_ERRORS, summary="One company")
def get_company(request: Request, company: ApiCompany, session: SessionDep) -> Response:
    """The company, its sites and the first and last month with published figures. Its ETag is the one
    `If-Match` names to replace the company (PUT)."""
    return resource_response(request, company_body(company, session=session))


@router.get(
    "/companies/{slug}/monthly",
    response_model=CompanyMonthly,
    response_model_by_alias=True,
    responses={200: csv_response_doc("Monthly figures as CSV (wide or long)"), **READ_ERRORS},
    summary="A company's monthly figures",
)
def company_monthly(
    request: Request,
    company: ApiCompany,
    session: SessionDep,
    period_from: FromQuery = None,
    period_to: ToQuery = None,
    provenance: ProvenanceQuery = False,
    metrics: MetricsQuery = None,
    fmt: FormatQuery = None,
    shape: ShapeQuery = "wide",
    header: HeaderQuery = "names",
    changes: ChangesQuery = None,
    limit: LimitQuery = None,
    cursor: SeriesCursor = None,
    as_of: AsOfQuery = None,
) -> Response:
    """Every calendar month from `from` to `to` (default: the first and last published month), published figures
    only; `null` where nothing was published. With `as_of`, the figures as they were published at that moment.

    Per month: the company-level figures, the sums and weighted means over its sites, the network and price
    reference, the derived metrics (yield, share of network, unallocated, treasury residual, hashprice, treasury
    value, mining revenue, realized hashrate, realization…) and their month-over-month and year-over-year
    change. A derived figure computed by the dictionary's second formula says so (`basis` in its provenance).
    The wide shape comes whole (every month) unless `limit`/`cursor` ask for pages; the long shape
    (one row per figure) comes in pages.
    """
    chosen = negotiate(request, fmt)
    names = select_metrics(metrics, tuple(METRICS))
    start, end = period_range(period_from, period_to)
    moment = parse_as_of_query(as_of)
    layout = company_layout(names, chosen, shape, provenance=provenance, changes=changes, header=header)

    def build() -> Response:
        if moment is not None:
            first, last, views = _as_of_views(company, session, moment, start, end)
            records = (
                company_records(company.slug, views, names, first, changes=layout.writes_changes)
                if first is not None
                else []
            )
        else:
            # Both ends given: the published bounds would not change them, so they are not read.
            given = start is not None and end is not None
            present = (start, end) if given else queries.published_period_bounds(company.id, session=session)
            first, last = series_bounds(start, end, present)
            records = []
            if first is not None and last is not None:
                _, views = queries.load_company_series(
                    company, session=session, start=add_months(first, -CHANGE_LOOKBACK), end=last
                )
                records = company_records(company.slug, views, names, first, changes=layout.writes_changes, kept=True)
        return answer(
            request,
            records,
            layout,
            limit=limit,
            cursor=cursor,
            paged=shape == "long",
            filename=f"{company.slug}-monthly-{shape}.csv",
            envelope={"company": company.slug, **({"as_of": moment.isoformat()} if moment else {})},
            first=first,
            last=last,
        )

    # The cache keys hold the whole query string, `as_of` included: an as-of answer never stands for today's.
    return cached(request, session, chosen, build)


def _as_of_views(
    company: Company, session: Session, moment: dt.datetime, start: dt.date | None, end: dt.date | None
) -> tuple[dt.date | None, dt.date | None, list[MonthView]]:
    entries = published_entries(company, session=session, as_of=moment)
    first, last = series_bounds(start, end, period_bounds_as_of(entries))
    if first is None or last is None:
        return first, last, []
    _, views = load_company_series_as_of(
        company, session=session, as_of=moment, start=add_months(first, -CHANGE_LOOKBACK), end=last, entries=entries
    )
    return first, last, views
