"""A served worker takes what it holds after start-up out of the garbage collector's full rounds."""

from __future__ import annotations

import asyncio
import gc
import threading
from types import SimpleNamespace

import pytest
from fastapi import FastAPI

from app import main


def _frozen_while_serving(monkeypatch: pytest.MonkeyPatch, environment: str) -> int:
    monkeypatch.setattr(main, "get_settings", lambda: SimpleNamespace(environment=environment))
    monkeypatch.setattr(main, "get_engine", lambda: SimpleNamespace(dispose=lambda: None))

    async def serve() -> int:
        async with main.lifespan(FastAPI()):
            return gc.get_freeze_count()

    # On a thread of its own: a test before this one may have left an event loop running on this one.
    found: list[int] = []
    runner = threading.Thread(target=lambda: found.append(asyncio.run(serve())))
    try:
        runner.start()
        runner.join(timeout=60)
    finally:
        gc.unfreeze()  # the rest of the suite collects as before
    assert found, "the lifespan did not run"
    return found[0]


def test_a_served_worker_freezes_its_start_up_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    gc.unfreeze()
    assert _frozen_while_serving(monkeypatch, "production") > 10_000


def test_the_test_suite_apps_are_left_to_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    gc.unfreeze()
    assert _frozen_while_serving(monkeypatch, "test") == 0
