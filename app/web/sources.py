"""The data-sources page: where every figure comes from, under which licence, and the attribution it asks for."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.cache.responses import revision_cached
from app.domain.metrics import NETWORK_METRICS
from app.domain.network_sources import SOURCES, cross_check_rows, keys_of, source_runs, used_keys
from app.http.deps import SessionDep
from app.http.templating import templates
from app.store import queries
from app.store.queries.market import company_sources

router = APIRouter()


@router.get("/sources", response_class=HTMLResponse, name="dashboard:sources")
def sources(request: Request, session: SessionDep) -> Response:
    revision = queries.get_data_revision(session=session)

    def build() -> Response:
        network = queries.list_network_months(session=session)
        rows = [(r.period, {n: getattr(r, n) for n in NETWORK_METRICS}, dict(r.figure_sources or {})) for r in network]
        entries = [entry for _, _, per_figure in rows for entry in per_figure.values()]
        counts = used_keys(entries)
        unsourced = sum(
            1 for _, values, per_figure in rows for n, v in values.items() if v is not None and n not in per_figure
        )
        context = {
            "sources": SOURCES,
            "counts": counts,
            "other_keys": sorted(k for k in counts if k not in SOURCES),
            "non_commercial": any(SOURCES[k].non_commercial for k in counts if k in SOURCES),
            "runs": source_runs([(p, per_figure) for p, _, per_figure in rows]),
            "checks": cross_check_rows(rows),
            "unsourced": unsourced,
            "network_first": network[0].period if network else None,
            "network_last": network[-1].period if network else None,
            "companies": company_sources(session=session),
            "keys_of": keys_of,
        }
        return templates.TemplateResponse(request, "market/sources.html", context)

    return revision_cached(request, revision, build)
