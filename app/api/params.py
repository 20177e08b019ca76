"""Query parameters of the read API: one declaration each, checked with messages that name the parameter.

The OpenAPI document states each parameter's form (patterns, enums); a value that breaks it is answered by a
400 problem whose message says the parameter, what it takes and what came (`from: expected YYYY-MM, got
2025-1`), never a regular expression.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import Query

from app.api.common import _MONTH, CURSOR_HINT, DEFAULT_LIMIT, MAX_LIMIT, MONTH_PATTERN, FormatName, ShapeName
from app.domain.figure_history import parse_as_of
from app.domain.metrics import METRICS, SITE_METRICS
from app.domain.text import MAX_YEAR
from app.http.problems import ApiProblem, describe_pattern
from app.schemas.market import NETWORK_READ_METRICS

LIST_PATTERN = r"^[a-z0-9_-]+(,[a-z0-9_-]+)*$"
SLUG_LIST_HINT = "comma-separated slugs (lower-case letters, digits, - and _)"
_SLUG = r"[a-z0-9][a-z0-9_-]{0,63}"
# A series' rows are ordered by (period, company or site, metric): a cursor is the key of the last row sent.
SERIES_CURSOR_PATTERN = rf"^{_MONTH}(~[a-z0-9_-]{{1,64}}){{0,2}}$"
SLUG_CURSOR_PATTERN = f"^{_SLUG}$"
EVENT_CURSOR_PATTERN = r"^[1-9][0-9]{0,5}~[0-9]{1,18}$"
for _pattern in (SERIES_CURSOR_PATTERN, SLUG_CURSOR_PATTERN, EVENT_CURSOR_PATTERN):
    describe_pattern(_pattern, CURSOR_HINT)
describe_pattern(LIST_PATTERN, SLUG_LIST_HINT)
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")

HeaderName = Literal["names", "units"]
ChangesName = Literal["nested", "flat", "none"]


def _names_pattern(names: Sequence[str]) -> str:
    one = "(" + "|".join(names) + ")"
    return f"^{one}(,{one})*$"


def _month_query(alias: str, description: str) -> Any:
    # The form is documented (pattern) but checked by period_range, whose message is readable.
    return Annotated[
        str | None,
        Query(
            alias=alias,
            max_length=40,
            description=description,
            examples=["2025-01"],
            json_schema_extra={"pattern": MONTH_PATTERN},
        ),
    ]


FromQuery = _month_query("from", "First month, YYYY-MM (inclusive); default the series' first month")
ToQuery = _month_query("to", "Last month, YYYY-MM (inclusive); default the series' last month")
FormatQuery = Annotated[
    FormatName | None,
    Query(alias="format", description="`json` (default) or `csv`; `Accept: text/csv` also selects CSV"),
]
ShapeQuery = Annotated[
    ShapeName,
    Query(
        description="`wide`: one row per month (and company or site), a column per metric; `long`: one row per "
        "figure (period, …, metric, value, unit, provenance). JSON and CSV alike"
    ),
]
LimitQuery = Annotated[
    int | None,
    Query(
        ge=1,
        le=MAX_LIMIT,
        description=f"Rows per page, at most {MAX_LIMIT}. A series in the wide shape comes whole without it; the "
        f"long shape and lists come in pages of {DEFAULT_LIMIT} (a CSV that would be cut is refused with 400)",
    ),
]
HeaderQuery = Annotated[
    HeaderName,
    Query(description="CSV headers: `names` (default, `btc_mined`) or `units` (`btc_mined (BTC)`)"),
]
ChangesQuery = Annotated[
    ChangesName | None,
    Query(
        description="Month-over-month and year-over-year change: `nested` (JSON default, a `changes` object), "
        "`flat` (columns `btc_mined_mom_pct`, `btc_mined_yoy_pct`) or `none` (CSV default in the wide shape)"
    ),
]
# A calendar date from 2009 to 2100 (29 February left to the parser), then optionally a time and a zone: what
# `parse_as_of` accepts, so the document states it. Checked by the parser, whose message names the parameter.
_DAY = r"((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))"
_TIME = r"(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?"
AS_OF_PATTERN = rf"^(2009|20[1-9][0-9]|2100)-{_DAY}{_TIME}$"
AsOfQuery = Annotated[
    str | None,
    Query(
        max_length=40,
        description="The figures exactly as they were published at that moment: an ISO date (the end of that "
        "day, UTC) or date and time. A figure corrected later shows its old value; a month published later is absent",
        examples=["2025-02-03"],
        json_schema_extra={"pattern": AS_OF_PATTERN},
    ),
]


def parse_as_of_query(text: str | None) -> dt.datetime | None:
    """`?as_of=` as a moment, or a 400 problem that names the parameter and says what came."""
    if text is None:
        return None
    try:
        return parse_as_of(text)
    except ValueError as exc:
        raise ApiProblem(400, str(exc), errors=[{"path": "query.as_of", "message": str(exc)}]) from None


ProvenanceQuery = Annotated[
    bool,
    Query(
        description="Each figure's provenance: in JSON a `sources` object (with the document's title or publisher "
        "and every correction of the figure: from, to, when, by which role, why), in a wide CSV the columns "
        "`<metric>__source_url`, `<metric>__estimate`, `<metric>__illustrative`, `<metric>__revised`"
    ),
]


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


SeriesCursor = _cursor_query(SERIES_CURSOR_PATTERN, "2025-01")
SlugCursor = _cursor_query(SLUG_CURSOR_PATTERN, "cleanspark")
EventCursor = _cursor_query(EVENT_CURSOR_PATTERN, "739000~12")


def _metrics_query(names: Sequence[str]) -> Any:
    return Annotated[
        str | None,
        Query(
            max_length=2000,
            description="Comma-separated metric names to include (see /api/v1/metrics); default all",
            examples=["btc_mined,hashrate_avg_ehs"],
            json_schema_extra={"pattern": _names_pattern(names)},
        ),
    ]


MetricsQuery = _metrics_query(tuple(METRICS))
SiteMetricsQuery = _metrics_query(SITE_METRICS)
NetworkMetricsQuery = _metrics_query(NETWORK_READ_METRICS)


SitesQuery = Annotated[
    str | None,
    Query(
        max_length=2000,
        pattern=LIST_PATTERN,
        description="Comma-separated site slugs; default every site",
        examples=["georgia,tennessee"],
    ),
]
CompaniesQuery = Annotated[
    str | None,
    Query(
        max_length=2000,
        pattern=LIST_PATTERN,
        description="Comma-separated company slugs; default every company",
        examples=["cleanspark"],
    ),
]


def bad_parameter(name: str, message: str, status: int = 400, where: str = "query") -> ApiProblem:
    text = f"{name}: {message}"
    return ApiProblem(status, text, errors=[{"path": f"{where}.{name}", "message": text}])


def parse_month(name: str, text: str, where: str = "query") -> dt.date:
    match = _YEAR_MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise bad_parameter(name, f"expected YYYY-MM, got {text[:40]}", where=where)
    year = int(match.group(1))
    if year < 2009:
        raise bad_parameter(name, f"{text} is before bitcoin existed (2009-01 at the earliest)", where=where)
    if year > MAX_YEAR:
        raise bad_parameter(name, f"expected at most {MAX_YEAR}-12, got {text}", where=where)
    return dt.date(year, int(match.group(2)), 1)


def period_range(period_from: str | None, period_to: str | None) -> tuple[dt.date | None, dt.date | None]:
    start = parse_month("from", period_from) if period_from is not None else None
    end = parse_month("to", period_to) if period_to is not None else None
    if start and end and start > end:
        raise bad_parameter("from", f"{period_from} is after to={period_to}")
    return start, end


def select_metrics(text: str | None, allowed: Sequence[str]) -> tuple[str, ...]:
    if text is None:
        return tuple(allowed)
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise bad_parameter("metrics", "expected comma-separated metric names, got nothing")
    errors = []
    for name in names:
        if name not in METRICS:
            errors.append(f"metrics: unknown metric {name[:60]!r} (see /api/v1/metrics)")
        elif name not in allowed:
            errors.append(f"metrics: {name!r} is not one of this series' metrics ({', '.join(allowed)})")
    if errors:
        raise ApiProblem(400, "; ".join(errors), errors=[{"path": "query.metrics", "message": e} for e in errors])
    return tuple(dict.fromkeys(names))


def split_slugs(text: str | None) -> list[str] | None:
    return list(dict.fromkeys(s for s in text.split(",") if s)) if text else None
