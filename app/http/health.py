"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.store.db import DatabaseUnavailable, check_database, get_engine

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive (no database access).

    On the event loop, not the thread pool: a liveness probe must answer while every worker thread waits
    for the database, or a busy server would be restarted for being busy.
    """
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Database unreachable or not migrated"}})
def readyz() -> JSONResponse:
    """The database answers and is migrated to the code's head revision."""
    try:
        check_database(get_engine())
    except DatabaseUnavailable as exc:
        return JSONResponse({"status": "unavailable", "detail": str(exc)}, status_code=503)
    return JSONResponse({"status": "ok"})
