"""Staff pages are never stored by browsers' or proxies' caches: they show drafts and who is logged in."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class NoStoreForStaff:
    def __init__(self, app: ASGIApp, prefix: str = "/staff") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith(self.prefix):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["cache-control"] = "no-store"
                headers.setdefault("vary", "Cookie")
            await send(message)

        await self.app(scope, receive, send_no_store)
