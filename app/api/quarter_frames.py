"""Across companies by quarter: one metric of every company in one calendar quarter (a quarter's frame).

Calendar quarters, so companies with different fiscal years line up; each company's own fiscal quarters are
at /api/v1/companies/{slug}/quarterly. Flows are summed, stocks taken at quarter end and averages weighted by
days (app.domain.quarters); a quarter with a month missing says so instead of passing for complete.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from app.api.common import READ_ERRORS, cached, csv_response, csv_response_doc, csv_text, json_response, negotiate
from app.api.params import FormatQuery, bad_parameter
from app.domain.coverage import Coverage
from app.domain.metrics import METRICS
from app.domain.quarters import QUARTER_METRICS, build_quarters
from app.domain.reports import add_months
from app.http.deps import SessionDep
from app.schemas import format_period
from app.schemas.api import QuarterFrame
from app.store import queries
from app.store.queries.dashboard import load_companies_series

router = APIRouter(prefix="/api/v1", tags=["across companies"])

QUARTER_PATTERN = r"^(2009|20[1-9][0-9]|2100)-Q[1-4]$"
QuarterPath = Annotated[
    str,
    Path(max_length=10, pattern=QUARTER_PATTERN, description="The calendar quarter, YYYY-Qn", examples=["2025-Q1"]),
]
MetricPath = Annotated[
    str, Path(max_length=80, pattern="^[a-z0-9_]+$", description="A metric of /api/v1/metrics", examples=["btc_mined"])
]
COLUMNS = ("company", "value", "unit", "months_reported", "complete", "coverage")


@router.get(
    "/frames/{metric}/quarters/{quarter}",
    response_model=QuarterFrame,
    responses={200: csv_response_doc("The quarter's frame as CSV"), **READ_ERRORS},
    summary="One metric of every company in one calendar quarter",
)
def quarter_frame(
    request: Request, session: SessionDep, metric: MetricPath, quarter: QuarterPath, fmt: FormatQuery = None
) -> Response:
    """A row per company (ordered by slug): the quarter's figure (`null` where none was published), how many of
    its three months reported it, whether the quarter is complete, and for each month whose value was summed
    from the company's sites, the sites it covers (`coverage`; the CSV names the partial months: "2025-03: 2 of
    3 sites (South not reported)")."""
    chosen = negotiate(request, fmt)
    if metric not in QUARTER_METRICS:
        known = ", ".join(QUARTER_METRICS)
        raise bad_parameter("metric", f"{metric[:60]!r} has no quarterly form (one of: {known})", 404, "path")
    year, number = int(quarter[:4]), int(quarter[-1])
    start = dt.date(year, 3 * number - 2, 1)
    end = add_months(start, 2)

    def build() -> Response:
        companies = sorted(queries.list_companies(session=session), key=lambda c: c.slug)
        series = load_companies_series(companies, session=session, start=start, end=end)
        rows: list[dict[str, Any]] = []
        for company in companies:
            found = [q for q in build_quarters(series.get(company.id, []), 12, "calendar") if q.start == start]
            value = found[0].values.get(metric) if found else None
            reported = found[0].coverage.get(metric, 0) if found else 0
            # Which sites each month's value summed from sites covers: a quarter summed from a partial month
            # is partial too, and says which month and which site.
            sites: dict[str, Coverage] = {
                format_period(v.period): v.coverage[metric]
                for v in series.get(company.id, [])
                if start <= v.period <= end and metric in v.coverage and v.values.get(metric) is not None
            }
            rows.append(
                {
                    "company": company.slug,
                    "value": value,
                    "unit": METRICS[metric].unit,
                    "months_reported": reported,
                    "complete": bool(found) and found[0].complete,
                    "coverage": sites,
                }
            )
        if chosen == "csv":
            lines = ([r[c] for c in COLUMNS[:-1]] + [_coverage_cell(r["coverage"])] for r in rows)
            return csv_response(csv_text(COLUMNS, lines), f"{metric}-{quarter}.csv")
        for r in rows:
            r["coverage"] = {month: cov.as_json() for month, cov in r["coverage"].items()}
        body = {
            "metric": metric,
            "quarter": quarter,
            "from": format_period(start),
            "to": format_period(end),
            "unit": METRICS[metric].unit,
            "count": len(rows),
            "data": rows,
        }
        return json_response(body)

    return cached(request, session, chosen, build)


def _coverage_cell(months: dict[str, Coverage]) -> str | None:
    """The partial months of a quarter in words, empty when every month's value was the whole company's."""
    return "; ".join(f"{month}: {label}" for month, cov in months.items() if (label := cov.label())) or None
