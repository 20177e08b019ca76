"""Read endpoints for companies and their monthly figures."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from app import queries
from app.deps import CompanyOr404, SessionDep
from app.metrics import METRICS
from app.reports import MonthView
from app.response_cache import revision_cached
from app.schemas import (
    CompanyList,
    CompanyMonthly,
    CompanyMonthRead,
    CompanyRead,
    FigureSourceRead,
    format_period,
    parse_period,
)

router = APIRouter(prefix="/api/v1", tags=["companies"])

MAX_MONTHS = 1200  # a hundred years: a bad range is refused instead of building a huge response

PeriodQuery = Annotated[
    str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="Month, YYYY-MM", examples=["2025-01"])
]


@router.get("/companies", response_model=CompanyList)
def list_companies(session: SessionDep) -> CompanyList:
    return CompanyList(data=[CompanyRead.model_validate(c) for c in queries.list_companies(session=session)])


def _month_read(view: MonthView, provenance: bool) -> CompanyMonthRead:  # type: ignore[valid-type]
    return CompanyMonthRead(
        period=format_period(view.period),
        revised=view.revised_at is not None,
        revised_at=view.revised_at,
        revision_reason=view.revision_reason,
        sources=(
            {
                name: FigureSourceRead(
                    source_url=src.source_url, is_estimate=src.is_estimate, is_illustrative=src.is_illustrative
                )
                for name, src in view.sources.items()
            }
            if provenance
            else None
        ),
        **{name: view.values.get(name) for name in METRICS},
    )


@router.get("/companies/{slug}/monthly", response_model=CompanyMonthly, response_model_by_alias=True)
def company_monthly(
    request: Request,
    company: CompanyOr404,
    session: SessionDep,
    period_from: Annotated[PeriodQuery, Query(alias="from")] = None,
    period_to: Annotated[PeriodQuery, Query(alias="to")] = None,
    provenance: bool = False,
) -> CompanyMonthly:
    """Every calendar month in the range, published figures only; `null` where nothing was published."""
    start: dt.date | None = parse_period(period_from) if period_from else None
    end: dt.date | None = parse_period(period_to) if period_to else None
    if start and end and start > end:
        raise HTTPException(status_code=400, detail="`from` is after `to`")
    if start and end and (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
        raise HTTPException(status_code=400, detail=f"a range covers at most {MAX_MONTHS} months")
    if (start is None) != (end is None):
        first, last = queries.published_period_bounds(company.id, session=session)
        start = start or first or end
        end = end or last or start

    def build() -> Response:
        _, views = queries.load_company_series(company, session=session, start=start, end=end)
        body = CompanyMonthly(
            company=company.slug,
            period_from=format_period(views[0].period) if views else None,
            period_to=format_period(views[-1].period) if views else None,
            units={name: spec.unit for name, spec in METRICS.items()},
            data=[_month_read(v, provenance) for v in views],
        )
        return Response(body.model_dump_json(by_alias=True), media_type="application/json")

    return revision_cached(request, queries.get_data_revision(session=session), build)  # type: ignore[return-value]
