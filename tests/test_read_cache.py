"""The fast path (app.cache.fast_path): repeated public reads answered before routing, never stale, never different.

"Reached the app" is observed by counting calls of the company lookup, which the routes' dependencies make
before anything else (and by the SQL issued: the fast path reads the revision and nothing more).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any, TypeVar

import brotli
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine, delete, insert, text, update
from sqlalchemy.orm import Session

from app.cache.responses import MAX_KEY_BYTES, IndexEntry, ReadIndex, cache, index
from app.cache.revisions import (
    Coalescer,
    PostgresRevisionReader,
    SqliteRevisionReader,
    conninfo_from_url,
    make_revision_reader,
)
from app.domain.reports import add_months
from app.store import queries
from app.store.models import CompanyMonth, DataRevision
from app.store.queries import bump_data_revision
from tests.conftest import QueryCounter
from tests.factories import make_company, make_company_month, make_site, make_site_month

T = TypeVar("T")

MONTHLY = "/api/v1/companies/fast/monthly?from=2024-01&to=2025-12"
OVERVIEW = "/companies/fast"
BR = {"Accept-Encoding": "br"}


class Lookups:
    """Counts company lookups, i.e. requests that went through routing and dependencies."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = queries.get_company

        def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.calls += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(queries, "get_company", counted)

    def get(self, client: TestClient, path: str, **headers: str) -> tuple[Response, bool]:
        """The response, and whether the request reached the app."""
        before = self.calls
        response = client.get(path, headers=headers)
        return response, self.calls > before


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> Lookups:
    return Lookups(monkeypatch)


@pytest.fixture
def company(db_session: Session):  # type: ignore[no-untyped-def]
    company = make_company(db_session, slug="fast", name="Fast Mining")
    site = make_site(db_session, company, slug="north")
    for i in range(24):
        period = add_months(dt.date(2024, 1, 1), i)
        make_company_month(db_session, company, period=period, btc_mined_total=Decimal(100 + i))
        make_site_month(db_session, site, period=period)
    return company


def _without_request_id(headers) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return sorted((k, v) for k, v in headers.multi_items() if k != "x-request-id")


@pytest.mark.parametrize("path", [MONTHLY, OVERVIEW, "/api/v1/companies/fast/monthly?format=csv"])
def test_a_repeated_read_is_answered_by_the_fast_path_exactly_as_the_app_answers_it(
    path: str, app: FastAPI, client: TestClient, company, lookups: Lookups, count_queries: QueryCounter
) -> None:
    built = client.get(path, headers=BR)
    assert built.status_code == 200 and built.headers["content-encoding"] == "br"

    count_queries.statements.clear()
    before = lookups.calls
    fast = client.get(path, headers=BR)
    assert lookups.calls == before, "the repeated read went through the app"
    assert len(count_queries.statements) == 1 and "data_revision" in count_queries.statements[0]

    # The same request answered by the app from its cache, with the fast path off.
    reader = app.state.revision_reader
    app.state.revision_reader = None
    slow = client.get(path, headers=BR)
    app.state.revision_reader = reader
    assert lookups.calls == before + 1

    for other in (built, slow):
        assert fast.status_code == other.status_code == 200
        assert fast.content == other.content
        assert _without_request_id(fast.headers) == _without_request_id(other.headers)
    names = {k.lower() for k in fast.headers}
    assert {"etag", "last-modified", "cache-control", "vary", "content-type", "content-encoding"} <= names
    assert {"x-request-id", "content-security-policy", "x-content-type-options"} <= names


def test_a_304_from_the_fast_path_has_the_apps_headers(
    app: FastAPI, client: TestClient, company, lookups: Lookups
) -> None:
    etag = client.get(MONTHLY).headers["etag"]
    reader = app.state.revision_reader
    app.state.revision_reader = None
    slow = client.get(MONTHLY, headers={"If-None-Match": etag})
    app.state.revision_reader = reader

    before = lookups.calls
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        fast = client.get(MONTHLY, headers={"If-None-Match": header})
        assert fast.status_code == 304 and fast.content == b""
        assert _without_request_id(fast.headers) == _without_request_id(slow.headers)
    assert lookups.calls == before

    stale = client.get(MONTHLY, headers={"If-None-Match": '"someone-elses"'})
    assert stale.status_code == 200 and stale.headers["etag"] == etag
    assert lookups.calls == before


def test_a_published_change_sends_the_very_next_read_to_the_app(
    client: TestClient, db_session: Session, company, lookups: Lookups
) -> None:
    first = client.get(MONTHLY)
    etag = first.headers["etag"]
    assert not lookups.get(client, MONTHLY)[1]

    db_session.execute(
        update(CompanyMonth)
        .where(CompanyMonth.company_id == company.id, CompanyMonth.period == dt.date(2025, 12, 1))
        .values(btc_mined_total=Decimal("98765"))
    )
    bump_data_revision(session=db_session)

    changed, reached = lookups.get(client, MONTHLY, **{"If-None-Match": etag})
    assert reached
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert b"98765" in changed.content and b"98765" not in first.content
    # And from then on the new answer is the one repeated.
    assert not lookups.get(client, MONTHLY)[1]


@pytest.mark.parametrize("credentials", [{"Cookie": "minedash_session=whatever"}, {"Authorization": "Bearer x"}])
def test_requests_with_credentials_always_reach_the_app(
    client: TestClient, company, lookups: Lookups, credentials: dict[str, str]
) -> None:
    client.get(OVERVIEW)
    assert not lookups.get(client, OVERVIEW)[1]
    assert lookups.get(client, OVERVIEW, **credentials)[1]
    client.cookies.clear()


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/api/v1/companies/fast/monthly?to=2025-12&from=2024-01", {}),  # same parameters, other spelling
        (MONTHLY + "&", {}),
        (MONTHLY, {"Accept": "text/csv"}),
        (MONTHLY, {"Accept": "application/json"}),
        (MONTHLY, {"Host": "other.example"}),
        ("/api/v1/companies/fast/monthly?from=2024-01&to=2025-11", {}),
    ],
)
def test_another_query_accept_or_host_is_a_miss(
    client: TestClient, company, lookups: Lookups, path: str, headers: dict[str, str]
) -> None:
    plain = client.get(MONTHLY)
    assert not lookups.get(client, MONTHLY)[1]
    miss, reached = lookups.get(client, path, **headers)
    assert reached
    # Then that variant is answered by the fast path too, with its own answer (not the first one's).
    hit, reached = lookups.get(client, path, **headers)
    assert not reached
    assert hit.content == miss.content and hit.headers["etag"] == miss.headers["etag"]
    if headers.get("Accept") == "text/csv":
        assert hit.headers["content-type"].startswith("text/csv")
        assert hit.headers["etag"] != plain.headers["etag"]
    if "Host" in headers:
        assert hit.headers["etag"] != plain.headers["etag"]


def test_each_encoding_is_negotiated_as_the_app_does(client: TestClient, company, lookups: Lookups) -> None:
    plain = client.get(OVERVIEW, headers={"Accept-Encoding": "identity"}).content
    cases = [
        ("br", "br"),
        ("gzip", "gzip"),
        ("gzip, br", "br"),
        ("br;q=0, gzip", "gzip"),
        ("identity", None),
        ("deflate", None),
        ("*", "br"),
    ]
    for accept, expected in cases:
        # The first request for an encoding may go to the app, which compresses once; the next is repeated.
        client.get(OVERVIEW, headers={"Accept-Encoding": accept})
        response, reached = lookups.get(client, OVERVIEW, **{"Accept-Encoding": accept})
        assert not reached, accept
        assert response.headers.get("content-encoding") == expected, accept
        assert response.content == plain  # decoded by the client
    entry = cache.get(client.get(OVERVIEW).headers["etag"])
    assert entry is not None
    assert brotli.decompress(entry.brotli or b"") == plain
    assert gzip.decompress(entry.gzipped or b"") == plain


def test_an_encoding_not_made_yet_is_made_by_the_app_once(client: TestClient, company, lookups: Lookups) -> None:
    client.get(OVERVIEW, headers={"Accept-Encoding": "identity"})
    assert not lookups.get(client, OVERVIEW, **{"Accept-Encoding": "identity"})[1]
    # A gzip copy does not exist yet: compressing is left to the app's thread pool, not the event loop.
    assert lookups.get(client, OVERVIEW, **{"Accept-Encoding": "gzip"})[1]
    assert not lookups.get(client, OVERVIEW, **{"Accept-Encoding": "gzip"})[1]


class BrokenReader:
    def __init__(self) -> None:
        self.reads = 0

    async def read(self) -> int | None:
        self.reads += 1
        return None

    async def close(self) -> None:
        pass


def test_when_the_revision_cannot_be_read_the_app_answers(
    app: FastAPI, client: TestClient, company, lookups: Lookups
) -> None:
    good = client.get(MONTHLY)
    app.state.revision_reader = broken = BrokenReader()
    again, reached = lookups.get(client, MONTHLY)
    assert reached and again.content == good.content
    not_modified, reached = lookups.get(client, MONTHLY, **{"If-None-Match": good.headers["etag"]})
    assert reached and not_modified.status_code == 304
    assert broken.reads == 2


def test_an_evicted_body_goes_back_to_the_app(client: TestClient, company, lookups: Lookups) -> None:
    client.get(MONTHLY)
    cache.clear()
    assert lookups.get(client, MONTHLY)[1]
    assert not lookups.get(client, MONTHLY)[1]


def test_errors_and_staff_pages_are_never_repeated(client: TestClient, company, lookups: Lookups) -> None:
    for path in ("/api/v1/companies/fast/monthly?from=2025-13", "/companies/nobody", "/companies/fast/charts/x.csv"):
        first = client.get(path)
        assert first.status_code in (400, 404)
        assert lookups.get(client, path)[1]
    assert len(index) == 0


def test_the_index_is_bounded_by_count_and_skips_long_requests(client: TestClient, company) -> None:
    small = ReadIndex(max_entries=3)
    for i in range(10):
        small.put(("http", f"/{i}", b"", b"h", b""), IndexEntry(revision=1, etag=str(i), headers={}))
    assert len(small) == 3 and small.get(("http", "/0", b"", b"h", b"")) is None
    assert small.get(("http", "/9", b"", b"h", b"")) is not None

    long_query = "&".join(f"x{i}=1" for i in range(MAX_KEY_BYTES // 4))
    client.get(f"{MONTHLY}&{long_query}")
    client.get(f"{MONTHLY}&y=1")
    assert len(index) == 1


# --- coalescing -------------------------------------------------------------------------------------


class ControlledRead:
    """A fake revision query the test finishes by hand; records how many run at once."""

    def __init__(self) -> None:
        self.started: list[asyncio.Future[int | None]] = []
        self.running = 0
        self.most_at_once = 0

    async def __call__(self) -> int | None:
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self.started.append(future)
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            return await future
        finally:
            self.running -= 1


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: the browser tests leave an event loop marked running in this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_a_caller_arriving_during_a_read_waits_for_the_next_one() -> None:
    async def scenario() -> None:
        read = ControlledRead()
        coalesced = Coalescer(read)
        a = asyncio.ensure_future(coalesced())
        await _settle()
        assert len(read.started) == 1

        # b and c arrive while read 1 runs: it may have begun before a write they saw, so it is not theirs.
        b, c = asyncio.ensure_future(coalesced()), asyncio.ensure_future(coalesced())
        await _settle()
        assert len(read.started) == 1, "a second read started while one was in flight"
        read.started[0].set_result(1)
        await _settle()
        assert a.result() == 1 and not b.done() and not c.done()
        assert len(read.started) == 2  # one read for both

        d = asyncio.ensure_future(coalesced())
        await _settle()
        read.started[1].set_result(2)
        await _settle()
        assert b.result() == c.result() == 2 and not d.done()
        read.started[2].set_result(3)
        await _settle()
        assert d.result() == 3
        assert read.most_at_once == 1 and len(read.started) == 3

        # Idle again: the next caller starts a read at once.
        e = asyncio.ensure_future(coalesced())
        await _settle()
        read.started[3].set_result(4)
        await _settle()
        assert e.result() == 4

    _run(scenario())


def test_one_caller_giving_up_does_not_cancel_the_others() -> None:
    async def scenario() -> None:
        read = ControlledRead()
        coalesced = Coalescer(read)
        a, b = asyncio.ensure_future(coalesced()), asyncio.ensure_future(coalesced())
        await _settle()
        a.cancel()
        await _settle()
        read.started[0].set_result(7)
        await _settle()
        assert a.cancelled() and b.result() == 7

    _run(scenario())


def test_a_loop_that_ends_mid_read_leaves_nothing_blocking_the_next() -> None:
    read = ControlledRead()
    coalesced = Coalescer(read)
    abandoned: list[asyncio.Future[int | None]] = []

    async def leave_a_read_running() -> None:
        abandoned.append(asyncio.ensure_future(coalesced()))
        await _settle()

    _run(leave_a_read_running())  # the loop ends with the read and its caller still pending

    async def next_loop() -> int | None:
        answer = asyncio.ensure_future(coalesced())
        await _settle()
        assert len(read.started) == 2, "no read started for the new loop's caller"
        read.started[-1].set_result(9)
        return await asyncio.wait_for(answer, 2)

    assert _run(next_loop()) == 9 and len(read.started) == 2


def test_a_failed_or_slow_read_answers_none_and_the_next_read_works() -> None:
    async def scenario() -> None:
        outcomes: list[object] = [RuntimeError("connection lost"), "hang", 5]

        async def read() -> int | None:
            outcome = outcomes.pop(0)
            if isinstance(outcome, Exception):
                raise outcome
            if outcome == "hang":
                await asyncio.sleep(10)
            return outcome  # type: ignore[return-value]

        coalesced = Coalescer(read, timeout=0.05)
        assert await coalesced() is None
        assert await coalesced() is None
        assert await coalesced() == 5

    _run(scenario())


# --- the real readers ---------------------------------------------------------------------------------


def _committed_revision(engine: Engine) -> int | None:
    with engine.connect() as conn:
        return conn.execute(text("SELECT revision FROM data_revision WHERE id = 1")).scalar()


def test_the_postgres_reader_answers_none_when_the_server_is_unreachable() -> None:
    reader = PostgresRevisionReader("postgresql://nobody@127.0.0.1:1/none", connect_timeout=1)

    async def scenario() -> list[int | None]:
        try:
            return [await reader.read(), await reader.read()]
        finally:
            await reader.close()

    assert _run(scenario()) == [None, None]


def test_the_sqlite_reader_answers_none_on_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from app.store.db import make_engine

    broken = make_engine(f"sqlite:///{tmp_path}/missing/none.db")
    reader = SqliteRevisionReader.from_engine(broken)

    async def scenario() -> int | None:
        try:
            return await reader.read()
        finally:
            await reader.close()

    assert _run(scenario()) is None


def test_the_sqlite_reader_needs_no_pool_connection_and_never_blocks_the_loop(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The freeze: every pooled connection held by requests that wait for the loop, and the read waiting for one."""
    from app.store import migrate
    from app.store.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'rev.db'}", pool_size=1, max_overflow=0, pool_timeout=30)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(insert(DataRevision.__table__).values(id=1, revision=7, changed_at=_t()))
    reader = make_revision_reader(str(engine.url), engine)
    assert isinstance(reader, SqliteRevisionReader)
    held = engine.connect()  # the pool's only connection, held by "a request"
    held.execute(text("SELECT 1"))

    async def scenario() -> int | None:
        try:
            return await asyncio.wait_for(reader.read(), timeout=5)
        finally:
            await reader.close()

    try:
        assert _run(scenario()) == 7
    finally:
        held.close()
        engine.dispose()


def test_a_stuck_sqlite_read_is_given_up_while_the_loop_keeps_running() -> None:
    import threading

    release = threading.Event()

    def stuck_connect():  # type: ignore[no-untyped-def]
        release.wait(10)
        raise OSError("gave up")

    reader = SqliteRevisionReader(stuck_connect, timeout=0.3)

    async def scenario() -> tuple[int | None, int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.get_running_loop().create_task(tick())
        try:
            value = await asyncio.wait_for(reader.read(), timeout=5)
        finally:
            ticker.cancel()
            release.set()
            await reader.close()
        return value, ticks

    value, ticks = _run(scenario())
    assert value is None
    assert ticks >= 10, "the event loop was blocked while the read waited"


def test_no_fast_path_for_an_in_memory_sqlite_database() -> None:
    from app.store.db import make_engine

    engine = make_engine("sqlite://")
    assert make_revision_reader("sqlite://", engine) is None


def test_conninfo_keeps_the_password_and_options() -> None:
    url = "postgresql+psycopg://u:s%40cret@db.example:6432/minedash?sslmode=require"
    assert conninfo_from_url(url) == "postgresql://u:s%40cret@db.example:6432/minedash?sslmode=require"


@pytest.fixture
def committed_revision(engine: Engine) -> Iterator[None]:
    """A committed revision row for tests that read outside the rolled-back session; restored after."""
    before = _committed_revision(engine)
    table = DataRevision.__table__
    with engine.begin() as conn:
        if before is None:
            conn.execute(insert(table).values(id=1, revision=41, changed_at=_t()))
    try:
        yield
    finally:
        with engine.begin() as conn:
            if before is None:
                conn.execute(delete(table))
            else:
                conn.execute(update(table).values(revision=before))


def _t() -> dt.datetime:
    return dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _bump_committed(engine: Engine) -> None:
    table = DataRevision.__table__
    with engine.begin() as conn:
        conn.execute(update(table).values(revision=table.c.revision + 1, changed_at=_t()))


def test_with_the_real_reader_a_committed_write_shows_on_the_very_next_read(
    engine: Engine, committed_revision: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The production wiring (no test session): the fast path and the app each see only committed data."""
    from app.main import create_app

    reads = {"app": 0}
    original = queries.get_data_revision

    def counted(*, session):  # type: ignore[no-untyped-def]
        reads["app"] += 1
        return original(session=session)

    monkeypatch.setattr(queries, "get_data_revision", counted)
    application = create_app(check_database_on_startup=False)
    with TestClient(application) as client:
        first = client.get("/api/v1/metrics")
        assert first.status_code == 200 and reads["app"] == 1
        for _ in range(3):
            again = client.get("/api/v1/metrics", headers={"If-None-Match": first.headers["etag"]})
            assert again.status_code == 304
        assert reads["app"] == 1, "repeated reads went through the app"

        _bump_committed(engine)
        after = client.get("/api/v1/metrics", headers={"If-None-Match": first.headers["etag"]})
        assert after.status_code == 200 and after.headers["etag"] != first.headers["etag"]
        assert reads["app"] == 2
        assert client.get("/api/v1/metrics", headers={"If-None-Match": after.headers["etag"]}).status_code == 304
        assert reads["app"] == 2


def test_the_postgres_reader_survives_a_killed_connection(engine: Engine, committed_revision: None) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the async connection is Postgres only")
    reader = PostgresRevisionReader.from_url(engine.url.render_as_string(hide_password=False))

    async def scenario() -> None:
        try:
            assert await reader.read() == _committed_revision(engine)
            pid = reader._conn.info.backend_pid  # type: ignore[union-attr]
            with engine.begin() as conn:
                assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
            _bump_committed(engine)
            # The dead connection is noticed and replaced within the same read: no request falls through.
            assert await reader.read() == _committed_revision(engine)
            assert reader._conn is not None and reader._conn.info.backend_pid != pid
        finally:
            await reader.close()

    _run(scenario())


def test_the_postgres_reader_answers_none_when_the_query_fails_and_reads_again_once_it_works(
    engine: Engine, committed_revision: None
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the async connection is Postgres only")
    # A database without the revision table: the server answers the query with an error, not a revision.
    elsewhere = engine.url.set(database="postgres").render_as_string(hide_password=False)
    broken = PostgresRevisionReader.from_url(elsewhere)
    reader = PostgresRevisionReader.from_url(engine.url.render_as_string(hide_password=False))

    async def scenario() -> None:
        try:
            assert await broken.read() is None
            assert broken._conn is None  # not reused after a failed read
            for _ in range(3):  # prepared once, read again and again on the same connection
                assert await reader.read() == _committed_revision(engine)
            pid = reader._conn.info.backend_pid  # type: ignore[union-attr]
            _bump_committed(engine)
            assert await reader.read() == _committed_revision(engine)
            assert reader._conn is not None and reader._conn.info.backend_pid == pid
        finally:
            await broken.close()
            await reader.close()

    _run(scenario())
