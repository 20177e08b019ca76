"""Bitcoin network and market reference figures per month (shared by every company): the series, one month
with its ETag, and writing one month with a write token.

A write needs a token not limited to a company (the figures belong to no company). Creating a month needs no
precondition (`If-None-Match: *` makes sure it does not exist yet); replacing one needs `If-Match` with its
current ETag: 428 without it, 412 when someone changed it since. Reference figures have no draft state: a
saved month is public at once, and every company's pages show it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.api.auth import WriteToken, actor_for_token
from app.api.common import READ_ERRORS, cached, csv_response_doc, encode_json, negotiate
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
from app.api.records import NETWORK_EXTRA, network_figure_sources, network_records, series_bounds
from app.api.series import Layout, answer
from app.api.write_body import JsonBody, _request_body, _validate
from app.api.writes import IfMatch, IfNoneMatch, PeriodPath, _period, _tags
from app.cache.etags import http_date
from app.domain.metrics import NETWORK_METRICS
from app.http.deps import SessionDep
from app.http.problems import ApiProblem, error_responses
from app.schemas import format_period
from app.schemas.market import NETWORK_READ_METRICS, NetworkMonthly, NetworkMonthStored, NetworkMonthWrite
from app.schemas.network import NetworkMonthCreate
from app.store.models import NetworkMonth
from app.store.queries import network as network_queries
from app.store.queries import public
from app.store.queries.month_checks import MonthValidationError

router = APIRouter(prefix="/api/v1", tags=["network"])


@router.get(
    "/network/monthly",
    response_model=NetworkMonthly,
    responses={200: csv_response_doc("Network months as CSV (wide or long)"), **READ_ERRORS},
    summary="Network hashrate, difficulty, blocks, subsidy, fees, BTC price and hashprice per month",
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
    """Every month from the first to the last with network figures (or `from`/`to`); `null` where the reference
    has no figure (a gap, never 0). `hashprice_usd_per_ph_day` is derived from subsidy, fees, hashrate and price.

    Each figure has its own source and estimate flag (`provenance=true`; in JSON also its source keys such as
    `CM` or `YF`, licence and attribution); `source_url` and `is_estimate` of a row are the month's main source.
    Coin Metrics figures are CC BY-NC 4.0: attribution required, non-commercial use only.
    """
    chosen = negotiate(request, fmt)
    names = select_metrics(metrics, NETWORK_READ_METRICS)
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


# --- one month: GET with its ETag, PUT with a write token ------------------------------------------------------


def etag_of(row: NetworkMonth) -> str:
    return f'"n{row.id}-v{row.version}"'


def _stored(row: NetworkMonth) -> dict[str, Any]:
    return {
        "period": format_period(row.period),
        "version": row.version,
        "updated_at": row.updated_at,
        "updated_by": row.updated_by,
        "source_url": row.source_url,
        "is_estimate": row.is_estimate,
        "note": row.note,
        "sources": network_figure_sources(row),
        **{n: getattr(row, n) for n in NETWORK_METRICS},
    }


def _month_response(request: Request, row: NetworkMonth, status: int = 200) -> Response:
    etag = etag_of(row)
    headers = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if row.updated_at is not None:
        headers["Last-Modified"] = http_date(row.updated_at)
    if status == 201:
        headers["Location"] = str(request.url)
    if status == 200 and request.method == "GET" and etag in _tags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    return Response(encode_json(_stored(row)), status_code=status, media_type="application/json", headers=headers)


def _expected_version(request: Request, row: NetworkMonth | None) -> int | None:
    if_match = request.headers.get("if-match")
    if_none_match = request.headers.get("if-none-match")
    if row is None:
        if if_match is not None:
            raise ApiProblem(412, "The month does not exist yet: send no If-Match to create it.")
        return None
    if if_none_match is not None and (if_none_match.strip() == "*" or etag_of(row) in _tags(if_none_match)):
        raise ApiProblem(412, "The month exists already (If-None-Match).", headers={"ETag": etag_of(row)})
    if if_match is None:
        raise ApiProblem(
            428,
            "The month exists: send If-Match with its ETag (from GET) so no one else's change is overwritten.",
            errors=[{"path": "header.If-Match", "message": "required to replace an existing month"}],
            headers={"ETag": etag_of(row)},
        )
    if if_match.strip() != "*" and etag_of(row) not in _tags(if_match):
        raise ApiProblem(
            412,
            "The month changed since you read it: GET it again and reapply your change.",
            errors=[{"path": "header.If-Match", "message": f"the current ETag is {etag_of(row)}"}],
            headers={"ETag": etag_of(row)},
        )
    return row.version


@router.get(
    "/network/monthly/{period}",
    response_model=NetworkMonthStored,
    responses={304: {"description": "Not Modified"}, **error_responses(400, 404)},
    summary="One network month, with its ETag",
)
def get_network_month(request: Request, period: PeriodPath, session: SessionDep) -> Response:
    """The stored reference figures of the month, each with its source."""
    row = network_queries.get_network_month(_period(period), session=session)
    if row is None:
        raise ApiProblem(404, f"No network figures for {period}")
    return _month_response(request, row)


@router.put(
    "/network/monthly/{period}",
    response_model=NetworkMonthStored,
    status_code=200,
    responses={
        201: {"description": "Created", "model": NetworkMonthStored},
        **error_responses(400, 401, 403, 412, 413, 415, 422, 428),
    },
    openapi_extra=_request_body("NetworkMonthWrite"),
    summary="Create or replace one network month",
)
def put_network_month(
    request: Request,
    period: PeriodPath,
    session: SessionDep,
    token: WriteToken,
    body: JsonBody,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Every figure of the month is replaced by the body's (a figure left out becomes null: a gap)."""
    if token.company_id is not None:
        raise ApiProblem(403, "This token is limited to one company; network figures need an unrestricted token.")
    month = _period(period)
    data = _validate(NetworkMonthWrite, body)
    row = network_queries.get_network_month(month, session=session)
    expected = _expected_version(request, row)
    try:
        saved, _ = network_queries.save_network_month(
            session=session,
            period=month,
            data=NetworkMonthCreate.model_validate(data.model_dump(exclude={"sources"})),
            actor=actor_for_token(token),
            expected_version=expected,
            sources=data.sources,
        )
    except network_queries.NetworkVersionConflict as exc:
        headers = {"ETag": etag_of(exc.current)} if exc.current is not None else None
        raise ApiProblem(412, "The month changed while you were writing it: GET it again.", headers=headers) from None
    except MonthValidationError as exc:
        errors = [
            {"path": "path.period" if e["path"] == "period" else f"body.{e['path']}", "message": e["message"]}
            for e in exc.errors
        ]
        raise ApiProblem(422, "The month cannot be saved", errors=errors) from None
    return _month_response(request, saved, 201 if row is None else 200)
