"""The company page "as of a date": the figures exactly as they were published at a moment (`?as_of=`).

The page is built from the figure history (app.store.queries.figure_as_of) instead of the current rows; a banner
says so and links back to the current figures. Its query string differs from the default page's, so it is never
served from, or stored as, the default overview (app.cache.page_store) and the in-memory answers are keyed with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from app.domain.figure_history import parse_as_of
from app.domain.release import ReleaseInfo
from app.domain.reports import MonthView, add_months
from app.store.models import Company, Site
from app.store.queries.dashboard import DataSummary
from app.store.queries.figure_as_of import load_company_series_as_of, period_bounds_as_of, published_entries
from app.web.page_helpers import HISTORY_MONTHS
from app.web.view_params import ViewParams


def as_of_of(request: Request) -> dt.datetime | None:
    """`?as_of=` as a moment; a bad one is a 400 whose message names the parameter."""
    text = request.query_params.get("as_of")
    if text is None:
        return None
    try:
        return parse_as_of(text)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


def load_as_of(
    company: Company, params: ViewParams, *, session: Session, as_of: dt.datetime
) -> tuple[Sequence[Site], list[MonthView], list[MonthView], DataSummary, tuple[dt.date, dt.date] | None]:
    """What the overview's loader returns, as published at `as_of`."""
    entries = published_entries(company, session=session, as_of=as_of)
    first, last = period_bounds_as_of(entries)
    summary = DataSummary(first=first, last=last, changed_at=max((e.published_at for e in entries), default=None))
    bounds = params.resolve(first, last)
    if bounds is None or bounds[0] > bounds[1]:
        sites, _ = load_company_series_as_of(company, session=session, as_of=as_of, entries=[])
        return sites, [], [], summary, bounds
    start, end = bounds
    sites, all_views = load_company_series_as_of(
        company, session=session, as_of=as_of, start=add_months(start, -HISTORY_MONTHS), end=end, entries=entries
    )
    return sites, all_views, [v for v in all_views if v.period >= start], summary, bounds


def releases_as_of(releases: list[ReleaseInfo], as_of: dt.datetime | None) -> list[ReleaseInfo]:
    """The releases as they stood at `as_of`: those published by then, without the corrections made after."""
    if as_of is None:
        return releases
    moment = as_of if as_of.tzinfo is not None else as_of.replace(tzinfo=dt.UTC)
    out: list[ReleaseInfo] = []
    for r in releases:
        if r.published_at is None or r.published_at > moment:
            continue
        corrected_later = r.revised_at is not None and r.revised_at > moment
        out.append(r._replace(revised_at=None, revision_reason=None) if corrected_later else r)
    return out


def as_of_context(company: Company, as_of: dt.datetime | None) -> dict[str, Any]:
    """The banner's facts: the moment, whether it was a whole day, and the way back to today's figures."""
    if as_of is None:
        return {"as_of": None}
    whole_day = as_of.time() == dt.time.max
    return {"as_of": as_of, "as_of_whole_day": whole_day, "current_url": f"/companies/{company.slug}"}
