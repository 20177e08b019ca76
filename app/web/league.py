"""The league table: every company ranked on one month (the same rows as GET /api/v1/league)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from app.cache.responses import revision_cached
from app.domain.league import DEFAULT_SORT, LEAGUE_METRICS
from app.domain.reports import add_months
from app.http.deps import SessionDep
from app.http.templating import templates
from app.schemas import parse_period
from app.store import queries
from app.store.queries.market import load_league

router = APIRouter()


@router.get("/league", response_class=HTMLResponse, name="dashboard:league")
def league(request: Request, session: SessionDep) -> Response:
    q = request.query_params
    month = None
    if q.get("month"):
        try:
            month = parse_period(q["month"])
        except ValueError as exc:
            raise HTTPException(status_code=400, detail=f"month: {exc}") from None
    sort = q.get("sort") or DEFAULT_SORT
    if sort not in LEAGUE_METRICS:
        raise HTTPException(status_code=400, detail=f"sort: use one of {', '.join(LEAGUE_METRICS)}")
    revision = queries.get_data_revision(session=session)

    def build() -> Response:
        found = load_league(session=session, month=month, sort=sort)
        context = {
            "league": found,
            "metrics": LEAGUE_METRICS,
            "sort": sort,
            "previous_month": add_months(found.month, -1) if found.month else None,
            "next_month": add_months(found.month, 1) if found.month else None,
            "ranked": sum(1 for r in found.rows if r.cells[sort].rank is not None),
        }
        return templates.TemplateResponse(request, "market/league.html", context)

    return revision_cached(request, revision, build)
