"""Liveness and readiness probes for load balancers and orchestrators.

Anyone can reach them, so they say only ready or not: why not (which host, user or database could not be
reached) goes to the log, for the operator.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.store.db import DatabaseUnavailable, check_database, get_engine

router = APIRouter(tags=["health"])
log = logging.getLogger("minedash.health")

# Readiness changes from one moment to the next: never answered from a cache.
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive (no database access).

    On the event loop, not the thread pool: a liveness probe must answer while every worker thread waits
    for the database, or a busy server would be restarted for being busy.
    """
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Database unreachable or not migrated (details in the log)"}})
def readyz() -> JSONResponse:
    """The database answers and is migrated to the code's head revision."""
    try:
        check_database(get_engine())
    except DatabaseUnavailable as exc:
        log.warning("not ready: %s", exc)
        return JSONResponse(
            {"status": "unavailable", "detail": "The database is unreachable or not migrated; see the server log."},
            status_code=503,
            headers=NO_STORE,
        )
    return JSONResponse({"status": "ok"}, headers=NO_STORE)
