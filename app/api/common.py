"""What every read endpoint shares: query parameters, format negotiation, cursors, exact rendering, caching."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from json.encoder import encode_basestring as _json_string  # C speed, keeps non-ASCII as is
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.cache.responses import revision_cached
from app.domain.csvio import moment_text, safe_cell
from app.domain.metrics import METRICS
from app.domain.text import MAX_ROW_ID
from app.http.problems import ApiProblem, describe_pattern, error_responses
from app.store import queries

# One page size for every paged read (lists, the long shape, cross-company reads); a series in the wide shape is
# answered whole unless `limit` or `cursor` asks for pages.
DEFAULT_LIMIT = 1000
MAX_LIMIT = 10000
# The most rows of one answer without paging: beyond it a read is refused (400) and asks for pages.
MAX_WHOLE_ROWS = 10000
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
# Years 2009 (bitcoin's first) to 2100 (app.domain.text.MAX_YEAR): a month the API can answer for.
MONTH_PATTERN = r"^(2009|20[1-9][0-9]|2100)-(0[1-9]|1[0-2])$"
MONTH_HINT = "YYYY-MM (2009-01 to 2100-12)"
_MONTH = r"(2009|20[1-9][0-9]|2100)-(0[1-9]|1[0-2])"
_SLUG = r"[a-z0-9][a-z0-9_-]{0,63}"
CURSOR_HINT = "the `cursor` of a page's `next` link"
describe_pattern(MONTH_PATTERN, MONTH_HINT)

FormatName = Literal["json", "csv"]
ShapeName = Literal["wide", "long"]

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


# --- cursors: the sort key of the last row of the previous page -------------------------------------------


def _bad_cursor() -> ApiProblem:
    message = f"cursor: expected {CURSOR_HINT}"
    return ApiProblem(400, message, errors=[{"path": "query.cursor", "message": message}])


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
    text = _plain(value)
    dot = text.find(".")
    if dot < 0:
        return "0" if text == "-0" else text
    if len(text) - dot - 1 > 10:
        text = _plain(value.quantize(_QUANTUM))
    text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _plain(value: Decimal) -> str:
    # str() is several times faster than format(value, "f") and gives the same digits, except that it
    # switches to scientific notation for very small numbers and positive exponents ("1E-7", "1E+2").
    text = str(value)
    return format(value, "f") if "E" in text else text


# '"name":' per dict key seen: an answer repeats the same few dozen keys on every row. Bounded, since keys can
# come from data (site slugs); past the bound a key is simply encoded each time.
_KEY_TEXT: dict[str, str] = {}
_KEYS_KEPT = 4096


def _key_text(key: Any) -> str:
    text = _json_string(str(key)) + ":"
    if type(key) is str and len(_KEY_TEXT) < _KEYS_KEPT:
        _KEY_TEXT[key] = text
    return text


class JsonText(str):
    """A value already written as JSON: the encoder puts it in as it is (a part shared by many rows, encoded once)."""

    __slots__ = ()


def _text(value: Any) -> str:
    # Checked by exact type first, most frequent first: this runs for every figure of every API answer. In a
    # container the two commonest items (a figure, a gap) are written inline rather than by a call each.
    kind = type(value)
    if kind is Decimal:
        return decimal_text(value)
    if value is None:
        return "null"
    if kind is str:
        return _json_string(value)
    if kind is JsonText:
        return str(value)
    if kind is dict:
        keys = _KEY_TEXT
        return (
            "{"
            + ",".join(
                [
                    (keys.get(k) or _key_text(k))
                    + (decimal_text(v) if type(v) is Decimal else "null" if v is None else _text(v))
                    for k, v in value.items()
                ]
            )
            + "}"
        )
    if kind is list or kind is tuple:
        return (
            "["
            + ",".join([decimal_text(v) if type(v) is Decimal else "null" if v is None else _text(v) for v in value])
            + "]"
        )
    if isinstance(value, bool | str | int | float):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, dt.datetime):
        # SQLite returns naive datetimes for timezone-aware columns; every stored moment is UTC.
        return _json_string(moment_text(value))
    if isinstance(value, dt.date):
        return _json_string(value.isoformat())
    if isinstance(value, dict | list | tuple):  # subclasses: the slower, general path
        return _text(dict(value) if isinstance(value, dict) else list(value))
    raise TypeError(f"cannot encode {type(value).__name__}")


def encode_json(value: Any) -> bytes:
    """JSON whose numbers are the exact decimal text (0.12345678 stays 0.12345678, never 0.1234567799…)."""
    return _text(value).encode()


def refuse_partial_csv(total: int | None, page_size: int) -> ApiProblem:
    """A CSV that would hold only the first page is refused: a spreadsheet or pandas reads no Link header."""
    rows = f"{total} rows are" if total is not None else "There are"
    message = (
        f"{rows} more than one page of {page_size}: add limit/cursor to read them page by page "
        "(each page's Link header names the next), or shape=wide, or narrow from/to"
    )
    return ApiProblem(400, message, errors=[{"path": "query.limit", "message": message}])


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object] | CsvLine]) -> bytes:
    """A CSV: its header, then each row's cells, or a row already written as a line (`CsvLine`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        if type(row) is CsvLine:
            buffer.write(row)
            continue
        # decimal_text is formula-safe by construction (digits, a point, a leading minus of a number).
        writer.writerow([decimal_text(c) if isinstance(c, Decimal) else safe_cell(c) for c in row])
    return buffer.getvalue().encode()


class CsvLine(str):
    """One CSV row already written, line end included (a part kept and shared by many answers)."""

    __slots__ = ()


def csv_line(row: Sequence[object]) -> CsvLine:
    """One row as `csv_text` writes it."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(
        [decimal_text(c) if isinstance(c, Decimal) else safe_cell(c) for c in row]
    )
    return CsvLine(buffer.getvalue())


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
