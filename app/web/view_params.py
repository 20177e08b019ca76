"""The view a URL asks for: a range (12 or 24 months, all, or from–to) and a site filter.

Everything lives in the query string, so any view is a permalink and works with plain links and a GET form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from fastapi import HTTPException, Request

from app.domain.reports import add_months
from app.schemas import format_period, parse_period

RANGES: dict[str, str] = {"12m": "12 months", "24m": "24 months", "all": "All"}
DEFAULT_RANGE = "all"
MAX_MONTHS = 1200


@dataclass(frozen=True, slots=True)
class ViewParams:
    range: str = DEFAULT_RANGE  # one of RANGES, or "custom" when from/to are given
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    sites: tuple[str, ...] = ()

    def query(self, **changes: object) -> str:
        """The query string of this view with some choices changed ("" when it is the default view)."""
        view = replace(self, **changes)  # type: ignore[arg-type]
        pairs: list[tuple[str, str]] = []
        if view.range == "custom":
            if view.period_from:
                pairs.append(("from", format_period(view.period_from)))
            if view.period_to:
                pairs.append(("to", format_period(view.period_to)))
        elif view.range != DEFAULT_RANGE:
            pairs.append(("range", view.range))
        pairs.extend(("site", s) for s in view.sites)
        return "?" + urlencode(pairs) if pairs else ""

    def resolve(self, first: dt.date | None, last: dt.date | None) -> tuple[dt.date, dt.date] | None:
        """The months to show given the first and last month with data; None when there is nothing."""
        if self.range == "custom":
            start = self.period_from or first
            end = self.period_to or last
            if start is None or end is None:
                return None
            return start, end
        if first is None or last is None:
            return None
        if self.range == "all":
            return first, last
        months = int(self.range.removesuffix("m"))
        return max(first, add_months(last, -(months - 1))), last


def query_period(value: str | None, name: str, *, hint: str = "") -> dt.date | None:
    """A month from the query string (None when absent or blank); a 400 that names the parameter otherwise."""
    if value is None or not value.strip():
        return None
    try:
        return parse_period(value)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=f"{name}: {exc}{hint}") from None


def is_default_view(request: Request) -> bool:
    """Whether the query string asks for the default view (none, or `range=all` spelled out).

    Such a URL shows the very page the bare URL does, so it may be answered by the page rendered ahead.
    """
    q = request.query_params
    return set(q.keys()) <= {"range"} and all(v in ("", DEFAULT_RANGE) for v in q.getlist("range"))


def parse_view_params(request: Request, known_sites: Sequence[str] | None = None) -> ViewParams:
    """Read range/from/to/site from the query string; a clear 400 for anything unreadable."""
    q = request.query_params
    start = query_period(q.get("from"), "from")
    end = query_period(q.get("to"), "to")
    range_ = q.get("range") or DEFAULT_RANGE
    if start or end:
        range_ = "custom"
    elif range_ not in RANGES:
        raise HTTPException(status_code=400, detail=f"range: use one of {', '.join(RANGES)} or from=YYYY-MM&to=YYYY-MM")
    if start and end and start > end:
        raise HTTPException(status_code=400, detail="from: the first month is after the last one")
    if start and end and (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
        raise HTTPException(status_code=400, detail=f"from/to: a range covers at most {MAX_MONTHS} months")
    sites = tuple(dict.fromkeys(s for s in q.getlist("site") if s))
    if known_sites is not None:
        unknown = [s for s in sites if s not in known_sites]
        if unknown:
            raise HTTPException(status_code=400, detail=f"site: no site {unknown[0]!r} in this company")
    return ViewParams(range=range_, period_from=start, period_to=end, sites=sites)
