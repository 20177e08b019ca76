"""Bitcoin network reference figures per month (shared by every company)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.api.common import (
    READ_ERRORS,
    FormatQuery,
    FromQuery,
    LimitQuery,
    MonthCursor,
    ToQuery,
    cached,
    csv_response,
    csv_response_doc,
    csv_text,
    cursor_period,
    json_response,
    negotiate,
    next_link,
    period_range,
    units_for,
)
from app.domain.metrics import METRICS, NETWORK_METRICS
from app.http.deps import SessionDep
from app.schemas import format_period
from app.schemas.api import NetworkMonthly
from app.store.queries import public

router = APIRouter(prefix="/api/v1", tags=["network"])


@router.get(
    "/network/monthly",
    response_model=NetworkMonthly,
    responses={200: csv_response_doc("Network months as CSV"), **READ_ERRORS},
    summary="Network hashrate, difficulty and price per month",
)
def network_monthly(
    request: Request,
    session: SessionDep,
    period_from: FromQuery = None,
    period_to: ToQuery = None,
    fmt: FormatQuery = None,
    limit: LimitQuery = 120,
    cursor: MonthCursor = None,
) -> Response:
    """Months with network figures, in order."""
    chosen = negotiate(request, fmt)
    start, end = period_range(period_from, period_to)
    after = cursor_period(cursor)

    def build() -> Response:
        found = public.page_network_months(session=session, start=start, end=end, after=after, limit=limit + 1)
        more = len(found) > limit
        found = found[:limit]
        rows: list[dict[str, Any]] = [
            {
                "period": format_period(r.period),
                **{n: getattr(r, n) for n in NETWORK_METRICS},
                "source_url": r.source_url,
                "is_estimate": r.is_estimate,
            }
            for r in found
        ]
        nxt = next_link(request, rows[-1]["period"]) if more else None
        if chosen == "csv":
            header = ["period", *(f"{n} ({METRICS[n].unit})" for n in NETWORK_METRICS), "source_url", "is_estimate"]
            keys = ["period", *NETWORK_METRICS, "source_url", "is_estimate"]
            return csv_response(
                csv_text(header, ([r[k] for k in keys] for r in rows)), "network-monthly.csv", next_url=nxt
            )
        return json_response(
            {"units": units_for(NETWORK_METRICS), "data": rows, "next": nxt, "limit": limit}, next_url=nxt
        )

    return cached(request, session, chosen, build)
