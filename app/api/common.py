"""What every read endpoint shares: query parameters, format negotiation, cursors, exact rendering, caching."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from json.encoder import encode_basestring as _json_string  # C speed, keeps non-ASCII as is
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.cache.responses import revision_cached
from app.domain.csvio import safe_cell
from app.domain.metrics import METRICS, SITE_METRICS
from app.domain.text import MAX_ROW_ID
from app.http.problems import ApiProblem, error_responses
from app.schemas import parse_period
from app.store import queries

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
# Years 2009 (bitcoin's first) to 2100 (app.domain.text.MAX_YEAR): a month the API can answer for.
MONTH_PATTERN = r"^(2009|20[1-9][0-9]|2100)-(0[1-9]|1[0-2])$"
LIST_PATTERN = r"^[a-z0-9_-]+(,[a-z0-9_-]+)*$"

FormatName = Literal["json", "csv"]
ShapeName = Literal["wide", "long"]

PeriodQuery = Annotated[
    str | None, Query(pattern=MONTH_PATTERN, description="Month, YYYY-MM (inclusive)", examples=["2025-01"])
]
FromQuery = Annotated[PeriodQuery, Query(alias="from", pattern=MONTH_PATTERN, description="First month, YYYY-MM")]
ToQuery = Annotated[PeriodQuery, Query(alias="to", pattern=MONTH_PATTERN, description="Last month, YYYY-MM")]
FormatQuery = Annotated[
    FormatName | None,
    Query(alias="format", description="`json` (default) or `csv`; `Accept: text/csv` also selects CSV"),
]
ShapeQuery = Annotated[
    ShapeName, Query(description="CSV layout: `wide` (one row per month) or `long` (one row per figure)")
]
LimitQuery = Annotated[
    int,
    Query(
        ge=1,
        le=MAX_LIMIT,
        description=f"Page size (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}; larger values are refused with 400)",
    ),
]
_MONTH = r"(2009|20[1-9][0-9]|2100)-(0[1-9]|1[0-2])"
_SLUG = r"[a-z0-9][a-z0-9_-]{0,63}"


def _cursor_query(pattern: str, example: str) -> Any:
    # Every value the pattern allows is a valid position ("after this key"), so a cursor can never be stale.
    return Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=pattern,
            description="Where the page starts (after this key); take it from the previous page's `next` link",
            examples=[example],
        ),
    ]


SlugCursor = _cursor_query(f"^{_SLUG}$", "cleanspark")
MonthCursor = _cursor_query(f"^{_MONTH}$", "2025-01")
SiteMonthCursor = _cursor_query(f"^{_MONTH}~{_SLUG}$", "2025-01~georgia")
EventCursor = _cursor_query(r"^[1-9][0-9]{0,5}~[0-9]{1,18}$", "739000~12")


def _names_pattern(names: Sequence[str]) -> str:
    one = "(" + "|".join(names) + ")"
    return f"^{one}(,{one})*$"


def _metrics_query(names: Sequence[str]) -> Any:
    return Annotated[
        str | None,
        Query(
            max_length=2000,
            pattern=_names_pattern(names),
            description="Comma-separated metric names to include (see /api/v1/metrics); default all",
            examples=["btc_mined,hashrate_avg_ehs"],
        ),
    ]


MetricsQuery = _metrics_query(tuple(METRICS))
SiteMetricsQuery = _metrics_query(SITE_METRICS)
ProvenanceQuery = Annotated[
    bool, Query(description="Include each figure's provenance (source URL, estimate and revised flags)")
]

READ_ERRORS: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not Modified: the copy named by If-None-Match is current"},
    **error_responses(400, 404),
}


def csv_response_doc(description: str) -> dict[str, Any]:
    return {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": f"JSON, or {description}"}


def negotiate(request: Request, fmt: FormatName | None) -> FormatName:
    """The explicit `format` parameter wins; otherwise an Accept header that asks for CSV gets CSV."""
    if fmt is not None:
        return fmt
    accept = request.headers.get("accept", "")
    return "csv" if "text/csv" in accept and "application/json" not in accept else "json"


def period_range(period_from: str | None, period_to: str | None) -> tuple[dt.date | None, dt.date | None]:
    errors = []
    start = end = None
    for name, text in (("from", period_from), ("to", period_to)):
        if text is None:
            continue
        try:
            value = parse_period(text)
        except ValueError as exc:
            errors.append({"path": f"query.{name}", "message": str(exc)})
            continue
        if name == "from":
            start = value
        else:
            end = value
    if errors:
        raise ApiProblem(400, "Invalid month", errors=errors)
    if start and end and start > end:
        raise ApiProblem(400, "`from` is after `to`", errors=[{"path": "query.from", "message": "after `to`"}])
    return start, end


def select_metrics(text: str | None, allowed: Sequence[str]) -> tuple[str, ...]:
    if text is None:
        return tuple(allowed)
    names = [n for n in text.split(",") if n]
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise ApiProblem(
            400,
            f"Unknown metric: {', '.join(unknown)}",
            errors=[{"path": "query.metrics", "message": f"{n!r} is not one of {', '.join(allowed)}"} for n in unknown],
        )
    return tuple(dict.fromkeys(names))


# --- cursors: the sort key of the last row of the previous page -------------------------------------------


def _bad_cursor() -> ApiProblem:
    return ApiProblem(
        400, "Invalid cursor", errors=[{"path": "query.cursor", "message": "use the `next` link of a page"}]
    )


def cursor_period(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return parse_period(text)
    except ValueError:
        raise _bad_cursor() from None


def cursor_period_and_slug(text: str | None) -> tuple[dt.date, str] | None:
    if text is None:
        return None
    period, _, slug = text.partition("~")
    start = cursor_period(period)
    if start is None or not slug:
        raise _bad_cursor()
    return start, slug


def cursor_date_and_id(text: str | None) -> tuple[dt.date, int] | None:
    if text is None:
        return None
    ordinal, _, event_id = text.partition("~")
    try:
        # No id is above the column's range, so a larger one means "after every event of that day"; clamped,
        # it stays a valid position instead of overflowing the database's integer.
        return dt.date.fromordinal(int(ordinal)), min(int(event_id), MAX_ROW_ID)
    except ValueError:
        raise _bad_cursor() from None


def period_cursor(period: dt.date) -> str:
    return f"{period.year:04d}-{period.month:02d}"


def event_cursor(day: dt.date, event_id: int) -> str:
    return f"{day.toordinal()}~{event_id}"


def next_link(request: Request, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    return str(request.url.include_query_params(cursor=cursor))


# --- exact rendering -----------------------------------------------------------------------------------

_QUANTUM = Decimal("1e-10")


def decimal_text(value: Decimal) -> str:
    """The exact decimal as stored, as text: no trailing zeros, and derived ratios rounded to 10 places so they
    do not carry 28 digits. Formatted once and trimmed as text: a monthly API answer has thousands."""
    text = format(value, "f")
    dot = text.find(".")
    if dot < 0:
        return "0" if text == "-0" else text
    if len(text) - dot - 1 > 10:
        text = format(value.quantize(_QUANTUM), "f")
    text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _encode(value: Any, out: list[str]) -> None:
    # Checked by exact type first, most frequent first: this runs once per figure of every API answer.
    kind = type(value)
    if kind is Decimal:
        out.append(decimal_text(value))
    elif value is None:
        out.append("null")
    elif kind is str:
        out.append(_json_string(value))
    elif kind is dict:
        out.append("{")
        first = True
        for key, item in value.items():
            if not first:
                out.append(",")
            first = False
            out.append(_json_string(str(key)))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif kind is list or kind is tuple:
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    elif isinstance(value, bool | str | int | float):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, Decimal):
        out.append(decimal_text(value))
    elif isinstance(value, dt.datetime):
        # SQLite returns naive datetimes for timezone-aware columns; every stored moment is UTC.
        moment = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        out.append(_json_string(moment.isoformat()))
    elif isinstance(value, dt.date):
        out.append(_json_string(value.isoformat()))
    elif isinstance(value, dict | list | tuple):  # subclasses: the slower, general path
        _encode(dict(value) if isinstance(value, dict) else list(value), out)
    else:
        raise TypeError(f"cannot encode {type(value).__name__}")


def encode_json(value: Any) -> bytes:
    """JSON whose numbers are the exact decimal text (0.12345678 stays 0.12345678, never 0.1234567799…)."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out).encode()


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        # decimal_text is formula-safe by construction (digits, a point, a leading minus of a number).
        writer.writerow([decimal_text(c) if isinstance(c, Decimal) else safe_cell(c) for c in row])
    return buffer.getvalue().encode()


def json_response(body: Any, *, next_url: str | None = None) -> Response:
    return Response(encode_json(body), media_type="application/json", headers=_link_headers(next_url))


def csv_response(content: bytes, filename: str, *, next_url: str | None = None) -> Response:
    headers = {"Content-Disposition": f'inline; filename="{filename}"', **_link_headers(next_url)}
    return Response(content, media_type=CSV_MEDIA_TYPE, headers=headers)


def _link_headers(next_url: str | None) -> dict[str, str]:
    return {"Link": f'<{next_url}>; rel="next"'} if next_url else {}


def cached(request: Request, session: Session, fmt: str, build: Callable[[], Response]) -> Response:
    """An answer keyed by the data revision: ETag, Last-Modified, 304 on If-None-Match.

    Cache-Control is `no-cache`: any cache may store the public answer but must revalidate it, which costs
    one query and a 304, so a figure written through the API is visible on the very next read.
    """
    revision = queries.get_data_revision(session=session)
    return revision_cached(request, revision, build, vary=(fmt, request.url.netloc))


def units_for(names: Iterable[str]) -> dict[str, str]:
    return {name: METRICS[name].unit for name in names}
