"""The metric dictionary, generated from app.domain.metrics (the definitions pages, charts and CSV use)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.api.common import (
    READ_ERRORS,
    cached,
    csv_response,
    csv_response_doc,
    csv_text,
    json_response,
    negotiate,
)
from app.api.params import FormatQuery
from app.domain.coverage import COVERABLE, SITE_AGGREGATES
from app.domain.metrics import METRICS
from app.http.deps import SessionDep
from app.schemas.api import MetricList, MetricRead

router = APIRouter(prefix="/api/v1", tags=["metrics"])

COLUMNS = list(MetricRead.model_fields)


@router.get(
    "/metrics",
    response_model=MetricList,
    responses={200: csv_response_doc("The dictionary as CSV"), **READ_ERRORS},
    summary="The metric dictionary",
)
def list_metrics(request: Request, session: SessionDep, fmt: FormatQuery = None) -> Response:
    """Every metric: unit, level, timing (total, average, month end), aggregation across sites, formula, and
    whether a company's value can be summed from its sites (and so cover only some of them)."""
    chosen = negotiate(request, fmt)

    def build() -> Response:
        rows = [
            {
                k: v
                for k, v in {
                    **asdict(m),
                    "minimum": m.minimum,
                    "maximum": m.maximum,
                    "site_aggregate": m.name in SITE_AGGREGATES,
                    "may_be_partial": m.name in COVERABLE,
                }.items()
                if k in COLUMNS
            }
            for m in METRICS.values()
        ]
        if chosen == "csv":
            return csv_response(csv_text(COLUMNS, ([r[c] for c in COLUMNS] for r in rows)), "metrics.csv")
        return json_response({"data": rows})

    return cached(request, session, chosen, build)
