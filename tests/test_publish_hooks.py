"""What a commit that changed published data sets off: renders after the answer, once the writes pause."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.cache import publish_hooks
from app.store import queries
from app.store.models import Company
from tests.factories import make_company


@pytest.fixture
def engine(tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """A file database of its own: the render thread needs a real engine, not the test's connection."""
    from app.store import migrate
    from app.store.db import make_engine

    made = make_engine(f"sqlite:///{tmp_path / 'hooks.db'}", pool_size=1, max_overflow=0, pool_timeout=2)
    migrate.upgrade(made)
    yield made
    publish_hooks.wait_for(timeout=30)
    made.dispose()


def _renderer(monkeypatch: pytest.MonkeyPatch, *, quiet: float, longest: float) -> None:
    monkeypatch.setattr(publish_hooks, "_renderer", publish_hooks._Renderer(quiet=quiet, longest=longest))


def _publisher(engine: Engine) -> Callable[..., int]:
    def publish(slug: str | None = None, company_id: int | None = None) -> int:
        from app.store.db import begin_writing

        with Session(engine) as session:
            begin_writing(session)
            company_id = company_id or make_company(session, slug=slug).id
            queries.bump_data_revision(session=session, companies=[company_id])
            session.commit()
        return company_id

    return publish


def test_hooks_run_after_the_commit_gave_its_connection_back(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """With one connection in the pool, a hook that needed a second one while the first was held would wait."""
    seen: list[frozenset[int]] = []

    def hook(session: Session, company_ids: frozenset[int]) -> None:
        session.execute(select(Company.id)).all()
        seen.append(company_ids)

    monkeypatch.setitem(publish_hooks._hooks, "overview", hook)
    company_id = _publisher(engine)("pooled")
    assert publish_hooks.wait_for(timeout=30)
    assert seen == [frozenset({company_id})]


def test_a_render_waits_for_the_writes_to_pause_and_renders_them_all_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _renderer(monkeypatch, quiet=0.3, longest=60)
    started = threading.Event()
    release = threading.Event()
    seen: list[tuple[float, frozenset[int]]] = []

    def slow_hook(session: Session, company_ids: frozenset[int]) -> None:
        seen.append((time.monotonic(), company_ids))
        started.set()
        release.wait(30)

    monkeypatch.setitem(publish_hooks._hooks, "overview", slow_hook)
    publish = _publisher(engine)
    try:
        first = publish("first")
        # The commit has returned and nothing renders yet: the render waits for the writes to pause, and a
        # reader meanwhile builds the page rather than wait (publish_hooks.rendering is false).
        assert seen == [] and not publish_hooks.rendering(first)
        second = publish("second")
        publish(company_id=second)
        last_write = time.monotonic()
        publish(company_id=first)
        assert started.wait(30)
        # Four writes of two companies, one render of both, once no write had come for the quiet time.
        assert [ids for _, ids in seen] == [frozenset({first, second})]
        assert seen[0][0] - last_write >= 0.3
        # While it runs, a reader of this worker waits for it.
        assert publish_hooks.rendering(first) and publish_hooks.rendering(second)
        assert not publish_hooks.wait_for(first, timeout=0.05)
        release.set()
        assert publish_hooks.wait_for(timeout=30)
        assert not publish_hooks.rendering(first) and not publish_hooks.rendering(second)
        assert len(seen) == 1
    finally:
        release.set()


def test_writes_that_never_pause_still_get_their_pages_rendered(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import writing month after month: rendered at most `longest` after its first write, not at its end."""
    _renderer(monkeypatch, quiet=2.0, longest=0.3)
    seen: list[frozenset[int]] = []
    monkeypatch.setitem(publish_hooks._hooks, "overview", lambda session, ids: seen.append(ids))
    publish = _publisher(engine)
    company_id = publish("busy")
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:
        time.sleep(0.05)  # far shorter than the quiet time
        publish(company_id=company_id)
    assert seen and seen[0] == frozenset({company_id})


def test_waiting_for_a_render_starts_it_at_once(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A command that publishes and exits, or a test, waits for the pages: they must not wait for a pause too."""
    _renderer(monkeypatch, quiet=600, longest=600)
    seen: list[frozenset[int]] = []
    monkeypatch.setitem(publish_hooks._hooks, "overview", lambda session, ids: seen.append(ids))
    company_id = _publisher(engine)("waited")
    assert publish_hooks.wait_for(company_id, timeout=20)
    assert seen == [frozenset({company_id})]
