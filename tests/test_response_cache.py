"""Revision-keyed response caching: 304s, cached bodies, and nothing stale after a change."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from fastapi.testclient import TestClient

from app.cache.responses import CachedBody, ResponseCache, cache, revision_cached
from app.store.models import DataRevision


def _app(state: dict) -> FastAPI:
    app = FastAPI()

    @app.get("/page")
    def page(request: Request) -> Response:
        def build() -> Response:
            state["builds"] += 1
            return PlainTextResponse(f"revision {state['revision'].revision} " + "x" * 2000)

        return revision_cached(request, state["revision"], build)

    return app


def test_cached_until_the_revision_changes() -> None:
    cache.clear()
    state = {"builds": 0, "revision": DataRevision(id=1, revision=5, changed_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))}
    client = TestClient(_app(state))
    first = client.get("/page")
    second = client.get("/page")
    assert first.text == second.text and first.text.startswith("revision 5")
    assert state["builds"] == 1
    assert first.headers["etag"] == second.headers["etag"]
    assert first.headers["last-modified"] == "Wed, 01 Jan 2025 00:00:00 GMT"

    not_modified = client.get("/page", headers={"If-None-Match": first.headers["etag"]})
    assert not_modified.status_code == 304 and not_modified.content == b""

    state["revision"] = DataRevision(id=1, revision=6, changed_at=dt.datetime(2025, 2, 1, tzinfo=dt.UTC))
    changed = client.get("/page", headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and changed.text.startswith("revision 6")
    assert changed.headers["etag"] != first.headers["etag"]
    assert state["builds"] == 2


def test_compressed_copy_for_clients_that_accept_gzip() -> None:
    cache.clear()
    state = {"builds": 0, "revision": DataRevision(id=1, revision=1, changed_at=dt.datetime.now(dt.UTC))}
    client = TestClient(_app(state))
    response = client.get("/page", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.text.startswith("revision 1")
    plain = client.get("/page", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.text == response.text  # httpx decoded the gzip copy: same page
    raw = client.get("/page", headers={"Accept-Encoding": "gzip"}).headers
    assert int(raw["content-length"]) < len(plain.content) / 5


def test_lru_stays_within_its_byte_budget() -> None:
    small = ResponseCache(max_bytes=2500)
    for i in range(5):
        small.put(str(i), CachedBody(body=b"x" * 1000, gzipped=None, media_type="text/plain"))
    assert len(small) == 2
    assert small.get("0") is None and small.get("4") is not None


def test_brotli_for_clients_that_accept_it_made_once() -> None:
    import brotli

    cache.clear()
    state = {"builds": 0, "revision": DataRevision(id=1, revision=3, changed_at=dt.datetime.now(dt.UTC))}
    client = TestClient(_app(state))
    response = client.get("/page", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["content-encoding"] == "br"
    assert response.text.startswith("revision 3")
    entry = cache.get(response.headers["etag"])
    assert entry is not None and entry.brotli is not None and entry.gzipped is None
    assert brotli.decompress(entry.brotli) == entry.body
    assert client.get("/page", headers={"Accept-Encoding": "gzip"}).headers["content-encoding"] == "gzip"
    assert entry.gzipped is not None and state["builds"] == 1


def test_an_answer_built_on_demand_is_compressed_fast_and_a_page_rendered_ahead_smaller() -> None:
    """The first reader waits for an on-demand answer's compression, so it takes brotli's fastest quality; a page
    rendered after a publish is compressed off every reader's path, once, and takes the smaller default."""
    import brotli

    from app.cache import responses
    from app.cache.page_store import BuiltPage

    cache.clear()
    state = {"builds": 0, "revision": DataRevision(id=1, revision=4, changed_at=dt.datetime.now(dt.UTC))}
    client = TestClient(_app(state))
    response = client.get("/page", headers={"Accept-Encoding": "br"})
    entry = cache.get(response.headers["etag"])
    assert entry is not None and entry.brotli is not None
    assert entry.brotli == brotli.compress(entry.body, quality=responses.BROTLI_QUALITY_ON_DEMAND)
    page = BuiltPage.make("key", 4, entry.body, "text/plain")
    assert page.brotli == brotli.compress(entry.body, quality=responses.BROTLI_QUALITY)
    assert responses.BROTLI_QUALITY_ON_DEMAND < responses.BROTLI_QUALITY


def test_lru_counts_compressed_copies_added_later() -> None:
    small = ResponseCache(max_bytes=2500)
    first = CachedBody(body=b"x" * 1000, gzipped=None, media_type="text/plain")
    small.put("a", first)
    small.put("b", CachedBody(body=b"y" * 1000, gzipped=None, media_type="text/plain"))
    small.add_encoding("a", first, "br", b"z" * 600)  # 2600 bytes now: the oldest entry goes
    assert small.get("a") is None and small.get("b") is not None


def test_readers_who_ask_while_the_answer_is_being_built_wait_for_that_build() -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    cache.clear()
    release = threading.Event()
    started = threading.Event()
    state = {"builds": 0}
    revision = DataRevision(id=1, revision=7, changed_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
    app = FastAPI()

    @app.get("/slow")
    def slow(request: Request) -> Response:
        def build() -> Response:
            state["builds"] += 1
            started.set()
            release.wait(10)  # the first reader's build is in flight while the others arrive
            return PlainTextResponse("built once")

        return revision_cached(request, revision, build)

    client = TestClient(app)
    with ThreadPoolExecutor(max_workers=8) as pool:
        first = pool.submit(client.get, "/slow")
        assert started.wait(10)
        others = [pool.submit(client.get, "/slow") for _ in range(6)]
        release.set()
        answers = [first.result(), *(f.result() for f in others)]
    assert [a.text for a in answers] == ["built once"] * 7
    assert state["builds"] == 1


def test_a_failed_build_does_not_leave_the_next_readers_waiting() -> None:
    cache.clear()
    state = {"calls": 0}
    revision = DataRevision(id=1, revision=8, changed_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
    app = FastAPI()

    @app.get("/flaky")
    def flaky(request: Request) -> Response:
        def build() -> Response:
            state["calls"] += 1
            if state["calls"] == 1:
                raise RuntimeError("the first build fails")
            return PlainTextResponse("second time lucky")

        return revision_cached(request, revision, build)

    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/flaky").status_code == 500
    assert client.get("/flaky").text == "second time lucky"


def test_readers_waiting_for_a_build_give_their_connection_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """With two connections in the pool, readers that held theirs while waiting would starve everyone else."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy.orm import Session

    from app.store import migrate, queries
    from app.store.db import make_engine

    cache.clear()
    engine = make_engine(f"sqlite:///{tmp_path / 'pool.db'}", pool_size=2, max_overflow=0, pool_timeout=3)
    migrate.upgrade(engine)
    with Session(engine) as session:
        queries.get_data_revision(session=session)  # created here, so the readers below write nothing
        session.commit()
    release = threading.Event()
    arrived = threading.Semaphore(0)
    state = {"builds": 0}
    app = FastAPI()

    @app.get("/slow")
    def slow(request: Request) -> Response:
        with Session(engine, expire_on_commit=False) as session:
            revision = queries.get_data_revision(session=session)  # holds one of the two connections
            arrived.release()

            def build() -> Response:
                state["builds"] += 1
                release.wait(10)
                return PlainTextResponse(f"built at {revision.revision}")

            return revision_cached(request, revision, build)

    client = TestClient(app, raise_server_exceptions=False)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = [pool.submit(client.get, "/slow") for _ in range(7)]
            # Every reader gets as far as reading the revision while the first one's build is in flight.
            reached = sum(arrived.acquire(timeout=10) for _ in range(7))
            release.set()
            statuses = [a.result().status_code for a in answers]
        assert reached == 7
        assert statuses == [200] * 7
        assert state["builds"] == 1
    finally:
        release.set()
        engine.dispose()
