"""One middleware refusing every cross-origin unsafe request (POST, PUT, PATCH, DELETE), whatever the route.

A browser sends the session cookie (SameSite=Lax stops most of this already) and tells us where a request
comes from: `Sec-Fetch-Site` (all current browsers) and `Origin` (every cross-origin and every POST). A
request carrying neither did not come from a browser page (curl, scripts, tests) and is let through; so is
a bearer-token request without a cookie, which no browser forges with ambient credentials.
"""

from __future__ import annotations

import json

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REFUSED_DETAIL = "Cross-origin request refused: this form or request did not come from this site."
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _normalise_origin(origin: str) -> str:
    """scheme://host[:port], lower-cased, the default port dropped."""
    origin = origin.strip().lower().rstrip("/")
    scheme, sep, rest = origin.partition("://")
    if not sep:
        return origin
    host, colon, port = rest.rpartition(":")
    # "[::1]:8000" has a port; "[::1]" alone does not.
    if colon and port.isdigit() and not host.endswith(":") and port == _DEFAULT_PORTS.get(scheme):
        rest = host
    return f"{scheme}://{rest}"


def own_origin(scope: Scope, headers: Headers) -> str:
    # uvicorn's proxy_headers turns X-Forwarded-Proto into scope["scheme"]; Host is what the browser used.
    scheme = scope.get("scheme", "http")
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("localhost", None)
        host = f"{server[0]}:{server[1]}" if server[1] else str(server[0])
    return _normalise_origin(f"{scheme}://{host}")


def refusal_reason(scope: Scope) -> str | None:
    """Why this request is refused, or None to let it through."""
    if scope.get("method", "GET").upper() not in UNSAFE_METHODS:
        return None
    headers = Headers(scope=scope)
    if "cookie" not in headers and headers.get("authorization", "").lower().startswith("bearer "):
        return None
    fetch_site = headers.get("sec-fetch-site", "").strip().lower()
    if fetch_site in ("cross-site", "same-site"):
        return f"Sec-Fetch-Site: {fetch_site}"
    origin = headers.get("origin")
    if origin is not None:
        if origin.strip().lower() == "null":
            return "Origin: null"
        if _normalise_origin(origin) != own_origin(scope, headers):
            return "Origin differs from this site"
    return None


class CrossOriginGuard:
    """Pure ASGI middleware: a 403 page (or problem JSON under /api/) for a refused request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (reason := refusal_reason(scope)) is None:
            await self.app(scope, receive, send)
            return
        if scope.get("path", "").startswith("/api/"):
            body = json.dumps(
                {"title": "Forbidden", "status": 403, "detail": REFUSED_DETAIL, "reason": reason}
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [
                        (b"content-type", b"application/problem+json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        from app.http.templating import render_in_threadpool

        response = await render_in_threadpool(
            Request(scope),
            "errors/error.html",
            {"status": 403, "title": "Forbidden", "detail": REFUSED_DETAIL},
            status_code=403,
        )
        await response(scope, receive, send)
