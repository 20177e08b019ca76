"""A served worker takes what it holds after start-up out of the garbage collector's full rounds."""

from __future__ import annotations

import asyncio
import gc
import threading
from types import SimpleNamespace

import pytest
from fastapi import FastAPI

from app import main


def _frozen_while_serving(monkeypatch: pytest.MonkeyPatch, environment: str, started: list[object]) -> int:
    engine = SimpleNamespace(dispose=lambda: None)
    monkeypatch.setattr(main, "get_settings", lambda: SimpleNamespace(environment=environment))
    monkeypatch.setattr(main, "get_engine", lambda: engine)
    # The worker's render process is got ready at start (app.cache.publish_hooks): noted here, not started.
    monkeypatch.setattr(main.publish_hooks, "start_render_process", started.append)

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


def test_a_served_worker_freezes_its_start_up_objects_and_readies_its_render_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gc.unfreeze()
    started: list[object] = []
    assert _frozen_while_serving(monkeypatch, "production", started) > 10_000
    assert len(started) == 1


def test_the_test_suite_apps_are_left_to_the_collector_and_start_no_process(monkeypatch: pytest.MonkeyPatch) -> None:
    gc.unfreeze()
    started: list[object] = []
    assert _frozen_while_serving(monkeypatch, "test", started) == 0
    assert started == []
