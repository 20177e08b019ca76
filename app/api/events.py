"""Events drawn on the charts: halvings, weather, curtailment, expansions, acquisitions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.api.common import (
    DEFAULT_LIMIT,
    READ_ERRORS,
    cached,
    csv_response,
    csv_response_doc,
    csv_text,
    cursor_date_and_id,
    event_cursor,
    json_response,
    negotiate,
    next_link,
    refuse_partial_csv,
)
from app.api.deps import SLUG_PATTERN
from app.api.params import EventCursor, FormatQuery, FromQuery, LimitQuery, ToQuery, bad_parameter, period_range
from app.domain.reports import add_months
from app.http.deps import SessionDep
from app.schemas.api import EventPage
from app.store import queries
from app.store.models import EventKind
from app.store.queries import public

router = APIRouter(prefix="/api/v1", tags=["events"])

EVENT_COLUMNS = ["date", "title", "kind", "company", "site", "source_url", "description"]


@router.get(
    "/events",
    response_model=EventPage,
    responses={200: csv_response_doc("Events as CSV"), **READ_ERRORS},
    summary="Events",
)
def list_events(
    request: Request,
    session: SessionDep,
    company: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=SLUG_PATTERN,
            description="A company's slug: its events plus those concerning every company",
        ),
    ] = None,
    kind: Annotated[EventKind | None, Query(description="Only events of this kind")] = None,
    period_from: FromQuery = None,
    period_to: ToQuery = None,
    fmt: FormatQuery = None,
    limit: LimitQuery = None,
    cursor: EventCursor = None,
) -> Response:
    """Events ordered by date; `from`/`to` select by month."""
    chosen = negotiate(request, fmt)
    start, end = period_range(period_from, period_to)
    end_day = None if end is None else add_months(end, 1) - dt.timedelta(days=1)
    after = cursor_date_and_id(cursor)
    company_id = None
    if company is not None:
        found_company = queries.get_company(company, session=session)
        if found_company is None:
            raise bad_parameter("company", f"no company {company!r}", 404)
        company_id = found_company.id

    size = limit or DEFAULT_LIMIT

    def build() -> Response:
        found = public.page_events(
            session=session,
            company_id=company_id,
            start=start,
            end=end_day,
            kind=kind.value if kind else None,
            after=after,
            limit=size + 1,
        )
        more = len(found) > size
        found = found[:size]
        if more and chosen == "csv" and limit is None and cursor is None:
            raise refuse_partial_csv(None, size)
        rows: list[dict[str, Any]] = [
            {
                "date": e.date,
                "title": e.title,
                "kind": e.kind.value,
                "company": company_slug,
                "site": site_slug,
                "source_url": e.source_url,
                "description": e.description,
            }
            for e, company_slug, site_slug in found
        ]
        nxt = next_link(request, event_cursor(found[-1][0].date, found[-1][0].id)) if more else None
        if chosen == "csv":
            lines = ([r[c].isoformat() if c == "date" else r[c] for c in EVENT_COLUMNS] for r in rows)
            return csv_response(csv_text(EVENT_COLUMNS, lines), "events.csv", next_url=nxt)
        return json_response({"count": len(rows), "data": rows, "next": nxt, "limit": size}, next_url=nxt)

    return cached(request, session, chosen, build)
