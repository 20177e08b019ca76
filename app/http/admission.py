"""At most as many requests in the app's routes at once as the database pool can serve without waiting.

A route's sync steps (its dependencies, the endpoint, the session's close) each run on anyio's thread pool (40
threads), and its session keeps its pooled connection from the first query to the close, in between back on
the event loop. On Postgres a worker's pool holds ten connections: with a wave of cold readers, every thread
could be waiting for a connection while every connection was held by a request waiting for a thread, and all
of them waited out the pool's 30 s. Admitted at most `slots` at a time, the requests inside always find a
connection (the others wait on the event loop, holding nothing), so the wave drains in order.

The fast path's cached answers (app.cache.fast_path) read the revision with a connection of their own and are
answered outside this; so are liveness and static files, which never touch the database.
"""

from __future__ import annotations

import asyncio
import weakref

from starlette.types import ASGIApp, Receive, Scope, Send

# Never wait for the database: liveness must answer while it is busy, and static files do not read it.
_BYPASS = ("/healthz", "/static/")


class DatabaseAdmission:
    def __init__(self, app: ASGIApp, *, slots: int) -> None:
        self.app = app
        self.slots = slots
        # One per event loop (a server has one; the tests' clients each run their own), made on first use.
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_BYPASS):
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self.slots)
        async with semaphore:
            await self.app(scope, receive, send)
