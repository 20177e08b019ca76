"""A real server under concurrent readers and writers: every request answered, none frozen, writers serialised.

`minedash serve` runs in a subprocess against a database of its own (SQLite file, or a temporary Postgres
database when DATABASE_URL is Postgres), seeded with the demo data. The bounds are generous: they catch
requests that wait for each other (the event loop held, a pool exhausted, a lock never granted), not slowness.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator

import httpx2 as httpx
import pytest

from tests.live_server import (
    SLOW_SECONDS,
    LiveServer,
    Outcome,
    client,
    hammer,
    live_server,
    parallel,
    summary,
    temporary_database,
)

MONTHLY = "/api/v1/companies/cleanspark/monthly"
PAGE = "/companies/cleanspark"
HEALTH = "/healthz"
# Liveness is answered on the event loop: it must never wait for the database (a lock wait lasts the busy
# timeout or for ever). Not a speed bound: 64 clients on two busy cores may take a couple of seconds.
HEALTH_SECONDS = 5.0
# Messages that mean a request or a hook met a lock it should have waited for, or failed outright.
BAD_LOG_LINES = ("database is locked", "Traceback", "hook after publish failed", "could not store a page")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    directory = tmp_path_factory.mktemp("live")
    with (
        temporary_database(os.environ["DATABASE_URL"], directory) as url,
        live_server(url, directory / "server.log") as running,
    ):
        yield running


def _auth(server: LiveServer, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token}", **headers}


def _assert_answered(server: LiveServer, outcomes: list[Outcome]) -> None:
    assert outcomes, "no request was sent"
    assert all(o.status == 200 for o in outcomes), summary(outcomes) + server.log_tail()
    assert max(o.seconds for o in outcomes) < SLOW_SECONDS, summary(outcomes) + server.log_tail()
    health = [o.seconds for o in outcomes if o.path == HEALTH]
    assert health and max(health) < HEALTH_SECONDS, summary(outcomes) + server.log_tail()


def _assert_clean_log(server: LiveServer) -> None:
    log = server.log_text()
    found = [line for line in BAD_LOG_LINES if line in log]
    assert not found, f"{found} in the server log:\n{log[-4000:]}"


def test_64_concurrent_readers_are_all_answered(server: LiveServer) -> None:
    # Cold on purpose: the first wave goes through the app (a pooled connection each) while the answers it
    # leaves make the next requests read the revision in the fast path; the two once waited for each other.
    outcomes = hammer(server, [MONTHLY, PAGE, HEALTH], clients=64, seconds=3, max_requests=20_000)
    _assert_answered(server, outcomes)
    assert {o.path for o in outcomes} == {MONTHLY, PAGE, HEALTH}
    _assert_clean_log(server)


def test_parallel_writers_of_new_months_are_all_stored(server: LiveServer) -> None:
    def put(n: int):  # type: ignore[no-untyped-def]
        with client(server) as http:
            return http.put(
                f"{MONTHLY}/2016-{n + 1:02d}?publish=true",
                json={"btc_mined_total": f"{n + 1}.5"},
                headers=_auth(server),
            )

    responses = parallel(10, put)
    assert sorted(r.status_code for r in responses) == [201] * 10, [r.text[:200] for r in responses]
    with client(server) as http:
        stored = http.get(f"{MONTHLY}?from=2016-01&to=2016-10&metrics=btc_mined_total").json()["data"]
    assert [row["btc_mined_total"] for row in stored] == [n + 1.5 for n in range(10)]
    _assert_clean_log(server)


def test_parallel_writers_of_one_version_one_wins_the_rest_412(server: LiveServer) -> None:
    url = f"{MONTHLY}/2016-12"
    with client(server) as http:
        created = http.put(url + "?publish=true", json={"btc_mined_total": "1"}, headers=_auth(server))
    assert created.status_code == 201, created.text
    etag = created.headers["etag"]

    def put(n: int):  # type: ignore[no-untyped-def]
        with client(server) as http:
            body = {"btc_mined_total": str(n + 2), "reason": f"correction {n}"}
            return http.put(url, json=body, headers=_auth(server, **{"If-Match": etag}))

    responses = parallel(10, put)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * 9, [(r.status_code, r.text[:200]) for r in responses]
    winner = next(r for r in responses if r.status_code == 200)
    with client(server) as http:
        assert http.get(url).json()["btc_mined_total"] == winner.json()["btc_mined_total"]
    _assert_clean_log(server)


def test_a_writer_beside_readers(server: LiveServer) -> None:
    url = f"{MONTHLY}/2017-06"
    writes: list[tuple[int | str, float]] = []
    finished = threading.Event()

    def writer() -> None:
        try:
            with client(server) as http:
                response = http.put(url + "?publish=true", json={"btc_mined_total": "1"}, headers=_auth(server))
                writes.append((response.status_code, 0.0))
                etag = response.headers.get("etag", "")
                for n in range(2, 7):
                    began = time.perf_counter()
                    body = {"btc_mined_total": str(n), "reason": f"restated ({n})"}
                    try:
                        response = http.put(url, json=body, headers=_auth(server, **{"If-Match": etag}))
                    except httpx.HTTPError as exc:
                        server.dump_stacks()  # while it still hangs
                        writes.append((repr(exc), time.perf_counter() - began))
                        return
                    writes.append((response.status_code, time.perf_counter() - began))
                    etag = response.headers.get("etag", "")
        finally:
            finished.set()

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    outcomes = hammer(
        server, [PAGE, MONTHLY, HEALTH], clients=8, seconds=60, max_requests=50_000, until=finished.is_set
    )
    thread.join(timeout=30)
    assert [status for status, _ in writes] == [201, 200, 200, 200, 200, 200], f"{writes}{server.log_tail()}"
    assert max(seconds for _, seconds in writes) < SLOW_SECONDS, f"{writes}{server.log_tail()}"
    _assert_answered(server, outcomes)
    with client(server) as http:
        assert http.get(url).json()["btc_mined_total"] == 6  # the last write shows on the next read
    _assert_clean_log(server)


def test_a_read_never_waits_for_the_sqlite_write_lock(server: LiveServer) -> None:
    """A page built on demand is stored after the answer: holding the write lock delays the store, not the read."""
    if not server.is_sqlite:
        pytest.skip("SQLite's one write lock; Postgres readers never wait for writers")
    path = server.sqlite_path
    lock = sqlite3.connect(path, isolation_level=None, timeout=10)
    try:
        # What a change without a publish hook leaves: every worker's copy and the stored page out of date.
        lock.execute("BEGIN IMMEDIATE")
        lock.execute("UPDATE data_revision SET revision = revision + 1 WHERE id = 1")
        lock.execute("UPDATE company SET changed_revision = (SELECT revision FROM data_revision WHERE id = 1)")
        lock.execute("COMMIT")
        revision = lock.execute("SELECT revision FROM data_revision WHERE id = 1").fetchone()[0]
        lock.execute("BEGIN IMMEDIATE")  # another writer, holding the lock while the page is read
        began = time.perf_counter()
        with client(server) as http:
            page = http.get(PAGE)
        seconds = time.perf_counter() - began
    finally:
        if lock.in_transaction:
            lock.execute("ROLLBACK")
    try:
        assert page.status_code == 200, page.text[:300]
        assert seconds < SLOW_SECONDS, seconds
        # Once the lock is free, the page built on demand is stored for the other workers.
        deadline = time.monotonic() + SLOW_SECONDS * 2
        stored = None
        while time.monotonic() < deadline:
            stored = lock.execute("SELECT max(revision) FROM page_snapshot").fetchone()[0]
            if stored == revision:
                break
            time.sleep(0.1)
        assert stored == revision
    finally:
        lock.close()
    _assert_clean_log(server)
