"""Each figure's published history for one month: every value it had, when, by which role, why and from where.

`GET /api/v1/companies/{slug}/monthly/{YYYY-MM}/history` lists the company's own figures;
`/companies/{slug}/sites/{site}/monthly/{YYYY-MM}/history` one site's. Public: investors read corrections here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from app.api.common import MONTH_PATTERN, READ_ERRORS, cached, json_response
from app.api.deps import ApiCompany, ApiSite
from app.domain.figure_history import HistoryEntry, by_figure, publisher_of
from app.domain.metrics import METRICS
from app.http.deps import SessionDep
from app.http.problems import ApiProblem
from app.schemas import format_period, parse_period
from app.schemas.history import MonthHistory
from app.store.queries.figure_history import COMPANY_FIGURES, SITE_FIGURES, list_history

router = APIRouter(prefix="/api/v1", tags=["history"])

PeriodPath = Annotated[str, Path(pattern=MONTH_PATTERN, description="The month, YYYY-MM", examples=["2025-01"])]


def _period(text: str) -> dt.date:
    try:
        return parse_period(text)
    except ValueError as exc:
        raise ApiProblem(400, str(exc), errors=[{"path": "path.period", "message": str(exc)}]) from None


def _figures(entries: Sequence[HistoryEntry], order: Sequence[str]) -> list[dict[str, Any]]:
    grouped = {metric: found for (_, _, metric), found in by_figure(entries).items()}
    out = []
    for metric in (*order, *sorted(set(grouped) - set(order))):
        found = grouped.get(metric)
        if not found:
            continue
        spec = METRICS.get(metric)
        out.append(
            {
                "metric": metric,
                "unit": spec.unit if spec is not None else "",
                "revised": len(found) > 1,
                "values": [
                    {
                        "value": e.value,
                        "published_at": e.published_at,
                        "superseded_at": e.superseded_at,
                        "by": e.role,
                        "reason": e.reason,
                        "source_url": e.source_url,
                        "source_title": e.source_title,
                        "publisher": publisher_of(e.source_url, e.source_title),
                        "quote": e.quote,
                        "is_estimate": e.is_estimate,
                    }
                    for e in found
                ],
            }
        )
    return out


def _answer(company: str, site: str | None, period: dt.date, figures: list[dict[str, Any]]) -> Response:
    body = {"company": company, "site": site, "period": format_period(period), "count": len(figures)}
    return json_response({**body, "figures": figures})


@router.get(
    "/companies/{slug}/monthly/{period}/history",
    response_model=MonthHistory,
    responses=READ_ERRORS,
    summary="Every published value of a company month's figures",
)
def company_month_history(request: Request, company: ApiCompany, period: PeriodPath, session: SessionDep) -> Response:
    """Each company-level figure of the month with every value it was published with, oldest first: when, by which
    role (never a person), the reason exactly as typed and the source. A month never published lists no figure."""
    month = _period(period)

    def build() -> Response:
        entries = list_history(company.id, session=session, start=month, end=month, company_level=True)
        return _answer(company.slug, None, month, _figures(entries, COMPANY_FIGURES))

    return cached(request, session, "json", build)


@router.get(
    "/companies/{slug}/sites/{site}/monthly/{period}/history",
    response_model=MonthHistory,
    responses=READ_ERRORS,
    summary="Every published value of a site month's figures",
)
def site_month_history(
    request: Request, company: ApiCompany, site: ApiSite, period: PeriodPath, session: SessionDep
) -> Response:
    """One site's figures of the month with every value each was published with, as for the company's."""
    month = _period(period)

    def build() -> Response:
        entries = list_history(company.id, session=session, start=month, end=month, site_id=site.id)
        return _answer(company.slug, site.slug, month, _figures(entries, SITE_FIGURES))

    return cached(request, session, "json", build)
