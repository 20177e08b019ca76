"""Requests are admitted into the routes no more at once than the database pool serves without waiting."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from starlette.types import Receive, Scope, Send

from app.http.admission import DatabaseAdmission
from app.store.db import POSTGRES_POOL_OVERFLOW, POSTGRES_POOL_SIZE, request_slots


def test_at_most_slots_requests_are_inside_and_liveness_never_waits() -> None:
    inside = 0
    most = 0
    release = asyncio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        if scope["path"] != "/healthz":
            await release.wait()
        inside -= 1

    admission = DatabaseAdmission(app, slots=3)

    async def call(path: str) -> None:
        await admission({"type": "http", "path": path}, _receive, _send)

    async def run() -> None:
        readers = [asyncio.create_task(call("/companies/acme")) for _ in range(10)]
        await asyncio.sleep(0.05)
        assert inside == 3  # the other seven wait on the event loop, holding nothing
        await asyncio.wait_for(call("/healthz"), timeout=1)  # answered although every slot is taken
        release.set()
        await asyncio.wait_for(asyncio.gather(*readers), timeout=5)

    # On a thread of its own: an earlier test (the browser's) may leave an event loop running on this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result(timeout=10)
    assert most == 4 and inside == 0  # three readers and the liveness probe, never more


def test_slots_leave_room_in_the_pool() -> None:
    assert request_slots("postgresql+psycopg://db/minedash") == POSTGRES_POOL_SIZE + POSTGRES_POOL_OVERFLOW - 2
    assert 0 < request_slots("sqlite:///minedash.db") <= 48


async def _receive() -> dict[str, object]:
    return {"type": "http.disconnect"}


async def _send(message: dict[str, object]) -> None:
    return None
