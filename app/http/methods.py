"""HTTP method semantics in one place, for every route whoever declared it:

* HEAD works wherever GET does: the request runs as a GET (so caches, the fast path and compression treat
  it alike, and the headers, Content-Length included, are the GET's) and the body is dropped.
* OPTIONS answers 204 with `Allow`: the methods of every route whose path matches, plus HEAD and OPTIONS.
* A 405 carries the same full `Allow` (the router only names the methods of the first route that matched
  the path, e.g. GET for a month URL that also takes PUT).

FastAPI routes declared with `@router.get` answer neither HEAD nor OPTIONS by themselves.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.datastructures import MutableHeaders
from starlette.routing import Mount, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The order `Allow` lists them in.
_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _route_table(app: Any) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """(path regex, methods) of every route, built once per app (again if routes were added since)."""
    cached: tuple[int, list[tuple[re.Pattern[str], frozenset[str]]]] | None = getattr(app.state, "method_table", None)
    if cached is not None and cached[0] == len(app.routes):
        return cached[1]
    table = []
    for route in iter_route_contexts(app.routes):
        original = route.original_route
        if isinstance(original, Mount):
            # Static files: any path under the mount, read-only.
            table.append((compile_path(original.path + "/{rest:path}")[0], frozenset({"GET"})))
        elif route.path is not None and route.methods:
            table.append((compile_path(route.path)[0], frozenset(route.methods)))
    app.state.method_table = (len(app.routes), table)
    return table


def allowed_methods(app: Any, path: str) -> str | None:
    """The `Allow` value for a path, or None when no route has that path."""
    methods: set[str] = set()
    for regex, route_methods in _route_table(app):
        if regex.match(path):
            methods |= route_methods
    if not methods:
        return None
    if "GET" in methods:
        methods.add("HEAD")
    methods.add("OPTIONS")
    return ", ".join(sorted(methods, key=lambda m: (_ORDER.index(m) if m in _ORDER else len(_ORDER), m)))


class MethodSemantics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "OPTIONS":
            allow = allowed_methods(scope["app"], scope["path"])
            if allow is not None:
                await send({"type": "http.response.start", "status": 204, "headers": [(b"allow", allow.encode())]})
                await send({"type": "http.response.body", "body": b""})
                return
        head = method == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}

        async def send_fixed(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                allow = allowed_methods(scope["app"], scope["path"])
                if allow is not None:
                    MutableHeaders(scope=message)["allow"] = allow
            elif head and message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app(scope, receive, send_fixed)
