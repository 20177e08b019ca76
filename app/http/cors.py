"""CORS for the public reads: a page on any origin may GET or HEAD `/api/v1/…` and read the answer.

No credentials (`Access-Control-Allow-Origin: *` forbids them, so no cookie ever rides along); `ETag`, `Link`
and `Last-Modified` are exposed so a script can revalidate and follow pages. A preflight is answered only
for GET and HEAD: writes and staff pages get no CORS headers, and the cross-origin guard still refuses any
unsafe cross-origin request.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PUBLIC_PREFIX = "/api/v1/"
READ_METHODS = frozenset({"GET", "HEAD"})
ALLOWED_REQUEST_HEADERS = "Accept, If-None-Match, If-Modified-Since"
EXPOSED = "ETag, Link, Last-Modified, Content-Disposition"
PREFLIGHT_MAX_AGE = "86400"


class PublicReadCors:
    """Pure ASGI middleware: CORS headers on public GET/HEAD answers under /api/v1/, and their preflights."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PUBLIC_PREFIX):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if "origin" not in headers:
            await self.app(scope, receive, send)
            return
        method = scope["method"].upper()
        asked = headers.get("access-control-request-method", "").upper()
        if method == "OPTIONS" and asked:
            await self._preflight(asked)(scope, receive, send)
            return
        if method not in READ_METHODS:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out["Access-Control-Allow-Origin"] = "*"
                out["Access-Control-Expose-Headers"] = EXPOSED
            await send(message)

        await self.app(scope, receive, send_with_cors)

    @staticmethod
    def _preflight(asked: str) -> Response:
        if asked not in READ_METHODS:
            # Not a public read: no CORS headers, so the browser does not send the request.
            return Response(status_code=403, headers={"Vary": "Origin"})
        return Response(
            status_code=204,
            headers={
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Methods": "GET, HEAD",
                "Access-Control-Allow-Headers": ALLOWED_REQUEST_HEADERS,
                "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
            },
        )
