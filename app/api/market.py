"""Companies side by side: the league table of a month, and a company's quarters (calendar or fiscal)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.api.common import (
    MONTH_PATTERN,
    READ_ERRORS,
    cached,
    csv_response,
    csv_response_doc,
    csv_text,
    json_response,
    negotiate,
    units_for,
)
from app.api.deps import ApiCompany
from app.api.params import FormatQuery, FromQuery, HeaderQuery, ToQuery, period_range
from app.domain.csvio import change_column, header_for, provenance_column
from app.domain.league import LEAGUE_METRICS, LeagueRow
from app.domain.metrics import METRICS
from app.domain.quarters import QUARTER_METRICS, RULES, Quarter
from app.http.deps import SessionDep
from app.http.problems import ApiProblem
from app.schemas import format_period, parse_period
from app.schemas.market import CompanyQuarterly, LeaguePage
from app.store.queries.market import load_company_quarters, load_league

router = APIRouter(prefix="/api/v1", tags=["market"])

MonthQuery = Annotated[
    str | None,
    Query(
        pattern=MONTH_PATTERN,
        description="The month, YYYY-MM; default: the latest month most companies published",
        examples=["2024-05"],
    ),
]
SortQuery = Annotated[
    Literal["btc_mined", "realized_hashrate_ehs", "share_of_network_pct", "btc_held_end", "fleet_efficiency_jth"],
    Query(description="The figure the rows are ranked by"),
]
BasisQuery = Annotated[
    Literal["fiscal", "calendar"],
    Query(description="`fiscal` (the company's fiscal year, from its `fiscal_year_end_month`) or `calendar`"),
]


def league_row(row: LeagueRow) -> dict[str, Any]:
    return {
        "company": row.slug,
        "name": row.name,
        "ticker": row.ticker,
        "reported": row.reported,
        "figures": {
            metric: {
                "value": cell.value,
                "rank": cell.rank,
                "mom_pct": cell.mom_pct,
                "basis": cell.basis,
                "is_estimate": cell.is_estimate,
                "coverage": cell.coverage or None,
            }
            for metric, cell in row.cells.items()
        },
    }


def league_metrics() -> dict[str, dict[str, Any]]:
    return {
        name: {
            "label": METRICS[name].label,
            "unit": METRICS[name].unit,
            "formula": METRICS[name].formula,
            "lower_is_better": METRICS[name].lower_is_better,
        }
        for name in LEAGUE_METRICS
    }


@router.get(
    "/league",
    response_model=LeaguePage,
    responses={200: csv_response_doc("The league as CSV"), **READ_ERRORS},
    summary="Companies ranked on one month",
)
def league(
    request: Request,
    session: SessionDep,
    month: MonthQuery = None,
    sort: SortQuery = "btc_mined",
    fmt: FormatQuery = None,
    header: HeaderQuery = "names",
) -> Response:
    """Every company's BTC mined, realized hashrate, share of network, holdings and fleet efficiency for one
    month, each with its rank and month-over-month change. A missing figure is `null` with no rank (a gap, not
    last place); rows without the sort figure come after the ranked ones."""
    chosen = negotiate(request, fmt)
    period = None
    if month is not None:
        try:
            period = parse_period(month)
        except ValueError as exc:
            raise ApiProblem(400, str(exc), errors=[{"path": "query.month", "message": str(exc)}]) from None

    def build() -> Response:
        found = load_league(session=session, month=period, sort=sort)
        if found.month is None:
            raise ApiProblem(404, "No company has published a BTC-mined figure yet.")
        rows = [league_row(r) for r in found.rows]
        if chosen == "csv":
            columns = ["company", "name", "ticker", "reported"]
            for name in LEAGUE_METRICS:
                columns += [header_for(name, units=header == "units"), f"{name}_rank", change_column(name, "mom_pct")]
                columns.append(provenance_column(name, "coverage"))
            lines = (
                [r["company"], r["name"], r["ticker"], r["reported"]]
                + [
                    x
                    for n in LEAGUE_METRICS
                    for x in (
                        r["figures"][n]["value"],
                        r["figures"][n]["rank"],
                        r["figures"][n]["mom_pct"],
                        r["figures"][n]["coverage"],
                    )
                ]
                for r in rows
            )
            return csv_response(csv_text(columns, lines), f"league-{format_period(found.month)}.csv")
        body = {
            "month": format_period(found.month),
            "default_month": format_period(found.default_month) if found.default_month else None,
            "sort": sort,
            "metrics": league_metrics(),
            "data": rows,
        }
        return json_response(body)

    return cached(request, session, chosen, build)


def quarter_dict(q: Quarter) -> dict[str, Any]:
    return {
        "label": q.label,
        "fiscal_year": q.fiscal_year,
        "quarter": q.quarter,
        "start": format_period(q.start),
        "end": format_period(q.end),
        "complete": q.complete,
        "months_reported": 3 - len(q.missing),
        "missing_months": [format_period(p) for p in q.missing],
        "coverage": q.coverage,
        "figures": q.values,
    }


@router.get(
    "/companies/{slug}/quarterly",
    response_model=CompanyQuarterly,
    responses={200: csv_response_doc("Quarters as CSV"), **READ_ERRORS},
    summary="A company's quarters, calendar or fiscal",
)
def company_quarterly(
    request: Request,
    company: ApiCompany,
    session: SessionDep,
    basis: BasisQuery = "fiscal",
    period_from: FromQuery = None,
    period_to: ToQuery = None,
    fmt: FormatQuery = None,
    header: HeaderQuery = "names",
) -> Response:
    """Quarters of the company's published months: flows summed, stocks at quarter end, averages weighted by
    days. A quarter with a month without a published release is `complete: false` and lists the month;
    `coverage` says how many months each figure covers."""
    chosen = negotiate(request, fmt)
    start, end = period_range(period_from, period_to)

    def build() -> Response:
        quarters = load_company_quarters(company, session=session, basis=basis, start=start, end=end)
        rows = [quarter_dict(q) for q in quarters]
        if chosen == "csv":
            columns = ["quarter", "start", "end", "complete", "missing_months"]
            columns += [header_for(n, units=header == "units") for n in QUARTER_METRICS]
            columns += [f"{n}_months" for n in QUARTER_METRICS]
            lines = (
                [r["label"], r["start"], r["end"], r["complete"], " ".join(r["missing_months"])]
                + [r["figures"][n] for n in QUARTER_METRICS]
                + [r["coverage"][n] for n in QUARTER_METRICS]
                for r in rows
            )
            return csv_response(csv_text(columns, lines), f"{company.slug}-quarterly-{basis}.csv")
        body = {
            "company": company.slug,
            "basis": basis,
            "fiscal_year_end_month": company.fiscal_year_end_month,
            "units": units_for(QUARTER_METRICS),
            "rules": {n: RULES[n] for n in QUARTER_METRICS},
            "data": rows,
        }
        return json_response(body)

    return cached(request, session, f"{chosen}-{basis}", build)
