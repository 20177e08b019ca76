"""Companies: the list, one company, and a company's monthly figures (sums, weighted means, derived metrics)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.api.common import (
    READ_ERRORS,
    FormatQuery,
    FromQuery,
    LimitQuery,
    MetricsQuery,
    MonthCursor,
    ProvenanceQuery,
    ShapeQuery,
    SlugCursor,
    ToQuery,
    cached,
    csv_response,
    csv_response_doc,
    csv_text,
    cursor_period,
    json_response,
    negotiate,
    next_link,
    period_cursor,
    period_range,
    select_metrics,
    units_for,
)
from app.api.deps import ApiCompany
from app.api.resources import company_body, company_fields, resource_response
from app.domain.metrics import METRICS
from app.domain.reports import MonthView, add_months, sources_of, with_changes
from app.http.deps import SessionDep
from app.schemas import CompanyMonthly, format_period
from app.schemas.api import CompanyDetail, CompanyPage
from app.store import queries
from app.store.queries import public

router = APIRouter(prefix="/api/v1", tags=["companies"])

DEFAULT_MONTHS = 120
CHANGE_LOOKBACK = 12


@router.get(
    "/companies",
    response_model=CompanyPage,
    responses={200: csv_response_doc("Companies as CSV"), **READ_ERRORS},
    summary="List companies",
)
def list_companies(
    request: Request,
    session: SessionDep,
    fmt: FormatQuery = None,
    limit: LimitQuery = 100,
    cursor: SlugCursor = None,
) -> Response:
    """Every company, ordered by slug."""
    chosen = negotiate(request, fmt)

    def build() -> Response:
        rows = public.page_companies(session=session, after=cursor, limit=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        nxt = next_link(request, rows[-1].slug) if more else None
        items = [company_fields(c) for c in rows]
        if chosen == "csv":
            header = ["slug", "name", "ticker", "fiscal_year_end_month"]
            content = csv_text(header, ([i[h] for h in header] for i in items))
            return csv_response(content, "companies.csv", next_url=nxt)
        return json_response({"data": items, "next": nxt, "limit": limit}, next_url=nxt)

    return cached(request, session, chosen, build)


@router.get("/companies/{slug}", response_model=CompanyDetail, responses=READ_ERRORS, summary="One company")
def get_company(request: Request, company: ApiCompany, session: SessionDep) -> Response:
    """The company, its sites and the first and last month with published figures. Its ETag is the one
    `If-Match` names to replace the company (PUT)."""
    return resource_response(request, company_body(company, session=session))


def _figure_sources(view: MonthView, names: tuple[str, ...]) -> dict[str, Any]:
    revised = view.revised_at is not None
    out = {
        name: {
            "source_url": src.source_url,
            "is_estimate": src.is_estimate,
            "is_illustrative": src.is_illustrative,
            "revised": revised,
        }
        for name, src in view.sources.items()
        if name in names
    }
    # A derived figure computed by the dictionary's second formula says so (its inputs' sources are theirs).
    for name, why in view.basis.items():
        if name in names and view.values.get(name) is not None:
            inputs = sources_of(view, name)
            out[name] = {
                "source_url": None,
                "is_estimate": any(s.is_estimate for s in inputs),
                "is_illustrative": any(s.is_illustrative for s in inputs),
                "revised": revised,
                "basis": why,
            }
    return out


def month_dict(
    view: MonthView,
    names: tuple[str, ...],
    changes: dict[str, dict[dt.date, tuple[Decimal | None, Decimal | None]]],
    provenance: bool,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "period": format_period(view.period),
        "revised": view.revised_at is not None,
        "revised_at": view.revised_at,
        "revision_reason": view.revision_reason,
        "sources": _figure_sources(view, names) if provenance else None,
    }
    row.update({name: view.values.get(name) for name in names})
    month_changes: dict[str, Any] = {}
    for name in names:
        mom, yoy = changes[name].get(view.period, (None, None))
        if mom is not None or yoy is not None:
            month_changes[name] = {"mom_pct": mom, "yoy_pct": yoy}
    row["changes"] = month_changes
    return row


def _wide_csv(rows: list[dict[str, Any]], names: tuple[str, ...], provenance: bool) -> bytes:
    header = ["period", *(f"{n} ({METRICS[n].unit})" for n in names), "revised", "revised_at", "revision_reason"]
    if provenance:
        header += [f"{n} {field}" for n in names for field in ("source_url", "is_estimate")]

    def line(row: dict[str, Any]) -> list[object]:
        cells: list[object] = [row["period"], *(row[n] for n in names), row["revised"]]
        cells += [row["revised_at"].isoformat() if row["revised_at"] else None, row["revision_reason"]]
        if provenance:
            sources = row["sources"] or {}
            for n in names:
                src = sources.get(n)
                cells += [src["source_url"], src["is_estimate"]] if src else [None, None]
        return cells

    return csv_text(header, (line(r) for r in rows))


LONG_HEADER = ["period", "metric", "value", "unit", "mom_pct", "yoy_pct", "source_url", "is_estimate", "revised"]


def _long_csv(rows: list[dict[str, Any]], names: tuple[str, ...], views: dict[str, MonthView]) -> bytes:
    def lines() -> Any:
        for row in rows:
            view = views[row["period"]]
            for n in names:
                if row[n] is None:
                    continue  # a missing figure is no row, never a zero
                change = row["changes"].get(n) or {}
                src = view.sources.get(n)
                yield [
                    row["period"],
                    n,
                    row[n],
                    METRICS[n].unit,
                    change.get("mom_pct"),
                    change.get("yoy_pct"),
                    src.source_url if src else None,
                    src.is_estimate if src else None,
                    row["revised"],
                ]

    return csv_text(LONG_HEADER, lines())


@router.get(
    "/companies/{slug}/monthly",
    response_model=CompanyMonthly,
    response_model_by_alias=True,
    responses={200: csv_response_doc("Monthly figures as CSV (wide or long)"), **READ_ERRORS},
    summary="A company's monthly figures",
)
def company_monthly(
    request: Request,
    company: ApiCompany,
    session: SessionDep,
    period_from: FromQuery = None,
    period_to: ToQuery = None,
    provenance: ProvenanceQuery = False,
    metrics: MetricsQuery = None,
    fmt: FormatQuery = None,
    shape: ShapeQuery = "wide",
    limit: LimitQuery = DEFAULT_MONTHS,
    cursor: MonthCursor = None,
) -> Response:
    """Every calendar month in the range, published figures only; `null` where nothing was published.

    Per month: the company-level figures, the sums and weighted means over its sites, the derived metrics
    (yield, share of network, unallocated, treasury residual…) and their month-over-month and year-over-year
    change. `limit` counts months; follow `next` for the rest.
    """
    chosen = negotiate(request, fmt)
    names = select_metrics(metrics, tuple(METRICS))
    start, end = period_range(period_from, period_to)
    after = cursor_period(cursor)

    def build() -> Response:
        first, last = start, end
        if first is None or last is None:
            low, high = queries.published_period_bounds(company.id, session=session)
            first = first or low or last
            last = last or high or first
        page_start = first if after is None or first is None else max(first, add_months(after, 1))
        views: list[MonthView] = []
        more = False
        if page_start is not None and last is not None and page_start <= last:
            page_end = min(last, add_months(page_start, limit - 1))
            more = page_end < last
            _, series = queries.load_company_series(
                company, session=session, start=add_months(page_start, -CHANGE_LOOKBACK), end=page_end
            )
            changes = {n: with_changes(series, n) for n in names}
            views = [v for v in series if v.period >= page_start]
        else:
            changes = {n: {} for n in names}
        nxt = next_link(request, period_cursor(views[-1].period)) if more and views else None
        rows = [month_dict(v, names, changes, provenance) for v in views]
        if chosen == "csv":
            by_period = {format_period(v.period): v for v in views}
            content = _long_csv(rows, names, by_period) if shape == "long" else _wide_csv(rows, names, provenance)
            return csv_response(content, f"{company.slug}-monthly-{shape}.csv", next_url=nxt)
        body = {
            "company": company.slug,
            "from": rows[0]["period"] if rows else None,
            "to": rows[-1]["period"] if rows else None,
            "units": units_for(names),
            "data": rows,
            "next": nxt,
            "limit": limit,
        }
        return json_response(body, next_url=nxt)

    return cached(request, session, f"{chosen}-{shape}", build)
