"""Every error answer, in the format of the route it answers for: the exception handlers, the last-resort
catcher of unhandled exceptions, and the one function that renders an error for a path.

/api/ paths and the health probes get RFC 9457 problem details (app.http.problems); every other path the
HTML error page. A 5xx names its request id in the body too, so a user's report leads to the log line.
"""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.domain.actors import request_id_var
from app.http import problems
from app.http.auth import HashingBusy
from app.http.templating import templates
from app.store.db import unavailable_reason

log = logging.getLogger("minedash.errors")

JSON_PATHS = ("/healthz", "/readyz", "/openapi.json")


def wants_json(path: str) -> bool:
    return problems.is_api_path(path) or path in JSON_PATHS


def error_response(
    request: Request,
    status: int,
    detail: str | None,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The error as the path's clients read it: a problem document or the error page."""
    request_id = request_id_var.get() if status >= 500 else None
    if wants_json(request.url.path):
        extra = {"request_id": request_id} if request_id else None
        return problems.problem_response(request, status, detail, errors=errors, headers=headers, extra=extra)
    return templates.TemplateResponse(
        request,
        "errors/error.html",
        {"status": status, "title": problems.title_for(status), "detail": detail, "request_id": request_id},
        status_code=status,
        headers=headers,
    )


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if problems.is_api_path(request.url.path) and detail == problems.title_for(exc.status_code):
        detail = None
    # Off the event loop: the error page is a template read from disk and rendered.
    return await run_in_threadpool(
        error_response,
        request,
        exc.status_code,
        detail,
        errors=getattr(exc, "errors", None),
        headers=getattr(exc, "headers", None),
    )


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    if problems.is_api_path(request.url.path):
        return await problems.validation_problem(request, exc)
    errors = [{"path": ".".join(str(p) for p in err["loc"]), "message": err["msg"]} for err in exc.errors()]
    if wants_json(request.url.path):
        return error_response(request, 400, "Some parameters are invalid", errors=errors)
    detail = "; ".join(f"{e['path']}: {e['message']}" for e in errors)
    return await run_in_threadpool(error_response, request, 400, detail)


# A locked or unreachable database, or a login storm, is a moment's trouble, not a bug: come back soon.
RETRY_AFTER_SECONDS = 2


async def database_error(request: Request, exc: Exception) -> Response:
    """503 with Retry-After when the database cannot serve right now (locked, busy, unreachable); else a 500."""
    reason = unavailable_reason(exc)
    if reason is None:
        log.error("unhandled error on %s", request.url.path, exc_info=exc)
        return await run_in_threadpool(error_response, request, 500, UNEXPECTED)
    log.warning("database unavailable on %s: %s", request.url.path, reason)
    detail = "The database is busy or unreachable right now; try again in a moment."
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return await run_in_threadpool(error_response, request, 503, detail, headers=headers)


async def hashing_busy(request: Request, exc: HashingBusy) -> Response:
    # A login storm queues for a few seconds, then is told to come back: better than a worker out of memory.
    detail = "Too many logins at once: try again in a moment."
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return await run_in_threadpool(error_response, request, 503, detail, headers=headers)


UNEXPECTED = "An unexpected error occurred; it has been logged."


class UnhandledErrors:
    """Turns an exception no handler took into the path's 500 answer, logged once with its traceback.

    Starlette's own last resort (ServerErrorMiddleware) sits outside every middleware, so its 500 had no
    security headers and no request id, and it re-raised for the server to log a second time. Installed
    just inside the request-id and security-header middleware, this one answers instead and stops there.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                # Part of the answer is on its way: nothing sensible can follow it; the server closes the
                # connection when this returns with the body unfinished.
                return
            response = error_response(Request(scope), 500, UNEXPECTED)
            await response(scope, receive, send)
