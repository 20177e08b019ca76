"""Renders after a publish run in the worker's render process, not on a thread beside the readers."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.cache import page_store, publish_hooks, render_process
from app.store import migrate, queries
from app.store.db import begin_writing, make_engine
from app.web import dashboard
from tests import render_hooks
from tests.factories import make_company


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'render.db'}")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def process(monkeypatch: pytest.MonkeyPatch) -> Iterator[render_process.RenderProcess]:
    """A render process of the test's own, so no other test's is reused or left behind."""
    own = render_process.RenderProcess()
    monkeypatch.setattr(publish_hooks, "_process", own)
    yield own
    publish_hooks.wait_for(timeout=30)
    own.close()


def _publish(engine: Engine, slug: str) -> int:
    with Session(engine) as session:
        begin_writing(session)
        company_id = make_company(session, slug=slug).id
        queries.bump_data_revision(session=session, companies=[company_id])
        session.commit()
    assert publish_hooks.wait_for(timeout=60)
    return company_id


def _stored(engine: Engine, key: str) -> bytes | None:
    """The stored page's plain body, however it is stored (a big page keeps only its brotli form)."""
    with Session(engine) as session:
        found = page_store.get(session, key, None, current_since=0)
        return None if found is None else found.body


def test_hooks_named_by_import_path_and_only_those() -> None:
    assert render_process.import_path(dashboard.prebuild_overviews) == "app.web.dashboard:prebuild_overviews"

    def local(session: Session, company_ids: frozenset[int]) -> None: ...

    assert render_process.import_path(local) is None
    assert render_process.import_path(lambda session, ids: None) is None


def test_only_a_database_another_process_can_open_is_handed_on(engine: Engine) -> None:
    assert render_process.shareable_url(make_engine("sqlite://")) is None
    assert render_process.shareable_url(make_engine("sqlite:///:memory:")) is None
    assert render_process.shareable_url(engine) == engine.url.render_as_string(hide_password=False)
    url = render_process.shareable_url(make_engine("postgresql+psycopg://minedash:s3cret@db:5432/minedash"))
    assert url == "postgresql+psycopg://minedash:s3cret@db:5432/minedash"  # the child must log in too


def test_a_publish_renders_in_another_process(
    engine: Engine, process: render_process.RenderProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    inline: list[frozenset[int]] = []
    real = publish_hooks.run_hooks
    monkeypatch.setattr(
        publish_hooks, "run_hooks", lambda bind, changed, hooks: (inline.append(changed), real(bind, changed, hooks))
    )
    monkeypatch.setitem(publish_hooks._hooks, "overview", render_hooks.record_pid)

    first = _publish(engine, "first")
    body = _stored(engine, render_hooks.PID_KEY)
    assert body is not None
    pid, companies = body.decode().split(" ", 1)
    assert int(pid) != os.getpid() and companies == f"[{first}]"
    assert inline == []

    # The same process takes the next job: one per worker, not one per publish.
    second = _publish(engine, "second")
    again = _stored(engine, render_hooks.PID_KEY)
    assert again is not None and again.decode() == f"{pid} [{second}]"


def test_the_overview_is_rendered_and_stored_there(
    engine: Engine, process: render_process.RenderProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(publish_hooks._hooks, "overview", dashboard.prebuild_overviews)
    company_id = _publish(engine, "rendered")
    page = _stored(engine, dashboard.overview_key(company_id))
    assert page is not None and b"<html" in page


def test_a_render_process_that_cannot_run_leaves_the_render_to_the_thread(
    engine: Engine, process: render_process.RenderProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render_process, "WORKER_MODULE", "app.no_such_render_worker")
    monkeypatch.setitem(publish_hooks._hooks, "overview", render_hooks.record_pid)
    company_id = _publish(engine, "fallback")
    body = _stored(engine, render_hooks.PID_KEY)
    assert body is not None and body.decode() == f"{os.getpid()} [{company_id}]"


def test_a_render_process_that_died_is_started_again(engine: Engine, process: render_process.RenderProcess) -> None:
    hooks = {"pid": "tests.render_hooks:record_pid"}
    url = render_process.shareable_url(engine)
    assert url is not None
    assert process.run(url, hooks, frozenset({1}))
    first = process._proc
    assert first is not None
    first.kill()
    first.wait()
    assert process.run(url, hooks, frozenset({2}))
    assert process._proc is not None and process._proc.pid != first.pid
    body = _stored(engine, render_hooks.PID_KEY)
    assert body is not None and body.decode() == f"{process._proc.pid} [2]"


def test_a_closure_hook_still_runs_on_the_thread(
    engine: Engine, process: render_process.RenderProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[frozenset[int]] = []
    monkeypatch.setitem(publish_hooks._hooks, "overview", lambda session, ids: seen.append(ids))
    company_id = _publish(engine, "closure")
    assert seen == [frozenset({company_id})]
    assert process._proc is None  # nothing was started for it


def test_a_stuck_render_is_given_up_and_its_process_replaced(
    engine: Engine, process: render_process.RenderProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render_process, "RENDER_TIMEOUT_SECONDS", 1.0)
    url = render_process.shareable_url(engine)
    assert url is not None
    started = time.monotonic()
    assert process.run(url, {"stall": "tests.render_hooks:stall"}, frozenset({1}))
    assert time.monotonic() - started < 30  # not the hook's 60 s
    assert process._proc is None  # the stuck process is gone
    monkeypatch.setattr(render_process, "RENDER_TIMEOUT_SECONDS", 60.0)  # a new process takes a second to start
    assert process.run(url, {"pid": "tests.render_hooks:record_pid"}, frozenset({3}))
    body = _stored(engine, render_hooks.PID_KEY)
    assert body is not None and body.decode().endswith("[3]")


def test_the_process_is_made_ready_before_the_first_publish(
    engine: Engine, process: render_process.RenderProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker starts its render process when it starts (app.main's lifespan), not at its first publish: the
    first publish then finds it running and renders nothing of its own."""
    monkeypatch.setitem(publish_hooks._hooks, "overview", render_hooks.record_pid)
    started = publish_hooks.start_render_process(engine)
    assert started is not None
    started.join(timeout=60)
    ready = process._proc
    assert ready is not None and ready.poll() is None
    assert _stored(engine, render_hooks.PID_KEY) is None  # getting ready ran no hook

    company_id = _publish(engine, "after-start")
    body = _stored(engine, render_hooks.PID_KEY)
    assert body is not None and body.decode() == f"{ready.pid} [{company_id}]"


def test_no_process_is_started_for_a_database_only_this_one_can_open(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(publish_hooks._hooks, "overview", render_hooks.record_pid)
    assert publish_hooks.start_render_process(make_engine("sqlite://")) is None
