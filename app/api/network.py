"""Bitcoin network reference figures per month (shared by every company): the read side."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.api.common import READ_ERRORS, cached, csv_response_doc, negotiate
from app.api.params import (
    FormatQuery,
    FromQuery,
    HeaderQuery,
    LimitQuery,
    NetworkMetricsQuery,
    ProvenanceQuery,
    SeriesCursor,
    ShapeQuery,
    ToQuery,
    period_range,
    select_metrics,
)
from app.api.records import NETWORK_EXTRA, network_records, series_bounds
from app.api.series import Layout, answer
from app.domain.metrics import NETWORK_METRICS
from app.http.deps import SessionDep
from app.schemas.api import NetworkMonthly
from app.store.queries import public

router = APIRouter(prefix="/api/v1", tags=["network"])


@router.get(
    "/network/monthly",
    response_model=NetworkMonthly,
    responses={200: csv_response_doc("Network months as CSV (wide or long)"), **READ_ERRORS},
    summary="Network hashrate, difficulty and price per month",
)
def network_monthly(
    request: Request,
    session: SessionDep,
    period_from: FromQuery = None,
    period_to: ToQuery = None,
    provenance: ProvenanceQuery = False,
    metrics: NetworkMetricsQuery = None,
    fmt: FormatQuery = None,
    shape: ShapeQuery = "wide",
    header: HeaderQuery = "names",
    limit: LimitQuery = None,
    cursor: SeriesCursor = None,
) -> Response:
    """Every month from the first to the last with network figures (or `from`/`to`); nulls where none.

    Each figure has its own source and estimate flag (`provenance=true`); `source_url` and `is_estimate` of a
    row are the month's main source.
    """
    chosen = negotiate(request, fmt)
    names = select_metrics(metrics, NETWORK_METRICS)
    start, end = period_range(period_from, period_to)
    layout = Layout(
        names,
        chosen,
        shape,
        extra_columns=NETWORK_EXTRA,
        provenance=provenance,
        header=header,
        with_revised=False,
    )

    def build() -> Response:
        found = public.page_network_months(session=session, start=start, end=end)
        first, last = series_bounds(start, end, (row.period for row in found))
        records = network_records(found, names, first, last) if first and last else []
        return answer(
            request,
            records,
            layout,
            limit=limit,
            cursor=cursor,
            paged=shape == "long",
            filename=f"network-monthly-{shape}.csv",
            envelope={},
            first=first,
            last=last,
        )

    return cached(request, session, chosen, build)
