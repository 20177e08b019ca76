"""Across companies: one metric of every company in one month (a frame), and several companies' months at once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from app.api.common import MONTH_PATTERN, READ_ERRORS, cached, csv_response_doc, negotiate
from app.api.params import (
    ChangesQuery,
    CompaniesQuery,
    FormatQuery,
    FromQuery,
    HeaderQuery,
    LimitQuery,
    MetricsQuery,
    ProvenanceQuery,
    SeriesCursor,
    ShapeQuery,
    ToQuery,
    bad_parameter,
    parse_month,
    period_range,
    select_metrics,
    split_slugs,
)
from app.api.records import company_layout, company_records, series_bounds
from app.api.series import Layout, Record, answer
from app.domain.metrics import METRICS
from app.domain.reports import add_months
from app.http.deps import SessionDep
from app.schemas.api import CrossMonthly, Frame
from app.store import queries
from app.store.queries.dashboard import company_data_summaries, load_companies_series

router = APIRouter(prefix="/api/v1", tags=["across companies"])

CHANGE_LOOKBACK = 12
MetricPath = Annotated[
    str,
    Path(
        max_length=64,
        description="A metric's name (see /api/v1/metrics)",
        examples=["btc_per_ehs_day"],
        json_schema_extra={"enum": list(METRICS)},
    ),
]
MonthPath = Annotated[
    str,
    Path(
        max_length=40,
        description="The month, YYYY-MM",
        examples=["2025-01"],
        json_schema_extra={"pattern": MONTH_PATTERN},
    ),
]


@router.get(
    "/frames/{metric}/{period}",
    response_model=Frame,
    responses={200: csv_response_doc("The frame as CSV"), **READ_ERRORS},
    summary="One metric of every company in one month",
)
def frame(
    request: Request,
    session: SessionDep,
    metric: MetricPath,
    period: MonthPath,
    fmt: FormatQuery = None,
    changes: ChangesQuery = None,
    limit: LimitQuery = None,
    cursor: SeriesCursor = None,
) -> Response:
    """A row per company (ordered by slug): the figure (`null` where the company published none), its unit,
    month-over-month and year-over-year change, provenance (source URL, estimate, illustrative, revised) and,
    for a value summed from the company's sites, the sites it covers (`coverage`; a CSV says "2 of 3 sites
    (South not reported)", empty when the value is the whole company's)."""
    chosen = negotiate(request, fmt)
    if metric not in METRICS:
        raise bad_parameter("metric", f"unknown metric {metric[:60]!r} (see /api/v1/metrics)", 404, "path")
    month = parse_month("period", period, "path")
    layout = Layout(
        (metric,),
        chosen,
        "long",
        key_columns=("company",),
        changes=changes,
        with_changes=True,
        keep_missing=True,
        coverage=True,
    )

    def build() -> Response:
        companies = list(queries.list_companies(session=session))
        series = load_companies_series(companies, session=session, start=add_months(month, -CHANGE_LOOKBACK), end=month)
        records = [
            record
            for company in sorted(companies, key=lambda c: c.slug)
            for record in company_records(company.slug, series.get(company.id, []), (metric,), month, extra=False)
        ]
        return answer(
            request,
            records,
            layout,
            limit=limit,
            cursor=cursor,
            paged=True,
            filename=f"{metric}-{period}.csv",
            envelope={"metric": metric, "period": period, "unit": METRICS[metric].unit},
            first=month,
            last=month,
        )

    return cached(request, session, chosen, build)


@router.get(
    "/monthly",
    response_model=CrossMonthly,
    response_model_by_alias=True,
    responses={200: csv_response_doc("Several companies' months as CSV (wide or long)"), **READ_ERRORS},
    summary="Several companies' monthly figures",
)
def companies_monthly(
    request: Request,
    session: SessionDep,
    companies: CompaniesQuery = None,
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
) -> Response:
    """The companies' figures as `/companies/{slug}/monthly` has them, with a `company` column, ordered by
    (period, company): every month from the first to the last any of them published (or `from`/`to`), each
    company on it. In pages (`next`, `Link`), in either shape."""
    chosen = negotiate(request, fmt)
    names = select_metrics(metrics, tuple(METRICS))
    start, end = period_range(period_from, period_to)
    wanted = split_slugs(companies)
    layout = company_layout(names, chosen, shape, provenance=provenance, changes=changes, header=header)

    def build() -> Response:
        everyone = {c.slug: c for c in queries.list_companies(session=session)}
        unknown = [s for s in wanted or () if s not in everyone]
        if unknown:
            raise bad_parameter("companies", f"no company {unknown[0][:64]!r}", 404)
        chosen_companies = [everyone[s] for s in sorted(wanted or everyone)]
        summaries = company_data_summaries([c.id for c in chosen_companies], session=session)
        present = [p for s in summaries.values() for p in (s.first, s.last)]
        first, last = series_bounds(start, end, present)
        records: list[Record] = []
        if first is not None and last is not None:
            series = load_companies_series(
                chosen_companies, session=session, start=add_months(first, -CHANGE_LOOKBACK), end=last
            )
            for company in chosen_companies:
                records += company_records(
                    company.slug, series.get(company.id, []), names, first, changes=layout.writes_changes
                )
            records.sort(key=lambda r: r.period)  # stable: companies stay in slug order within a month
        return answer(
            request,
            records,
            layout,
            limit=limit,
            cursor=cursor,
            paged=True,
            filename=f"monthly-{shape}.csv",
            envelope={"companies": [c.slug for c in chosen_companies]},
            first=first,
            last=last,
        )

    return cached(request, session, chosen, build)
