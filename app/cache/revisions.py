"""Reading the current data revision outside a request's session, for the fast path (app.cache.fast_path).

The fast path may answer from memory only when nothing was published since the answer was made, and the API
promises that a write shows on the very next read. So each request needs a revision read that began after
the request arrived; a cached revision, however fresh, would break that promise.

Nothing here may block the event loop. On Postgres one async connection per worker does it, without the
thread pool, the ORM or the pool's pre-ping; on SQLite one connection of the reader's own, on a thread of
its own. Either way concurrent requests share one query (see Coalescer), and a read that does not answer
within a timeout is given up. Any failure answers None: the request then goes through the app, which reads
the revision again in its own session, so a broken reader costs speed, never correctness.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    import psycopg
    from psycopg import pq

log = logging.getLogger("minedash.revisions")

REVISION_SQL = "SELECT revision FROM data_revision WHERE id = 1"


class RevisionReader(Protocol):
    async def read(self) -> int | None:
        """The committed revision as of some moment after the call, or None when it cannot be read."""
        ...

    async def close(self) -> None: ...


class Coalescer:
    """At most one read in flight; each caller gets the result of a read that started after it called.

    A caller arriving while a read runs cannot use that read (it may have taken its snapshot before a write
    the caller already saw committed), so it waits for the next one, which every caller arriving meanwhile
    shares. Under load that is two reads' latency at worst and one query per batch instead of per request.
    """

    def __init__(self, read: Callable[[], Awaitable[int | None]], *, timeout: float = 5.0) -> None:
        self._read = read
        self._timeout = timeout
        # The batch waiting for the next read to start, and the task running reads while batches wait.
        self._waiting: asyncio.Future[int | None] | None = None
        self._runner: asyncio.Task[None] | None = None
        self._failing = False
        self.reads = 0

    async def __call__(self) -> int | None:
        loop = asyncio.get_running_loop()
        waiting = self._waiting
        # A future or task of another loop is left from one that ended mid-read (a test client's, say).
        if waiting is None or waiting.get_loop() is not loop:
            waiting = self._waiting = loop.create_future()
            runner = self._runner
            if runner is None or runner.done() or runner.get_loop() is not loop:
                self._runner = loop.create_task(self._run())
        # Shielded: one caller giving up (client gone) must not cancel the answer the others wait for.
        return await asyncio.shield(waiting)

    async def _run(self) -> None:
        batch: asyncio.Future[int | None] | None = None
        try:
            while self._waiting is not None:
                # Everyone in this batch arrived before the read below starts.
                batch, self._waiting = self._waiting, None
                value = await self._read_once()
                if not batch.done():
                    batch.set_result(value)
        finally:
            self._runner = None
            # Only if this task itself was cancelled (the loop shutting down): release whoever still waits.
            for pending in (batch, self._waiting):
                if pending is not None and not pending.done():
                    pending.set_result(None)
            self._waiting = None

    async def _read_once(self) -> int | None:
        self.reads += 1
        try:
            async with asyncio.timeout(self._timeout):
                value = await self._read()
        except Exception as exc:
            # Once per outage, not once per batch: while the database is down every batch fails.
            if not self._failing:
                log.warning("data revision read failed; answering through the app until it works: %r", exc)
            self._failing = True
            return None
        if self._failing:
            log.info("data revision read works again")
            self._failing = False
        return value


def conninfo_from_url(url: str) -> str:
    """A libpq URI for psycopg from SQLAlchemy's URL: the driver suffix dropped, password and options kept."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresRevisionReader:
    """One autocommit psycopg connection per worker (per event loop), opened on first use."""

    def __init__(
        self, conninfo: str, *, connect_timeout: int = 5, timeout: float = 5.0, retry_after: float = 1.0
    ) -> None:
        self._conninfo = conninfo
        self._connect_timeout = connect_timeout
        # After a failed connect, requests go straight to the app for a while instead of each waiting for
        # another connect to a database that is down.
        self._retry_after = retry_after
        self._retry_at = 0.0
        self._conn: psycopg.AsyncConnection[tuple[int]] | None = None
        self._coalesced = Coalescer(self._query, timeout=timeout)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> PostgresRevisionReader:
        """From the SQLAlchemy URL (`postgresql+psycopg://…`), password and query options kept."""
        return cls(conninfo_from_url(url), **kwargs)

    async def read(self) -> int | None:
        return await self._coalesced()

    async def _query(self) -> int | None:
        reused = self._conn is not None
        try:
            return await self._fetch()
        except Exception:
            if not reused:
                raise
        # A connection that had worked went bad (server restart, idle timeout, failover): one more try on a
        # new one, still a read that started after every waiting request arrived.
        return await self._fetch()

    async def _fetch(self) -> int | None:
        conn = self._conn
        fresh = conn is None
        if conn is None:
            conn = self._conn = await self._connect()
        try:
            return await _read_revision(conn.pgconn, prepare=fresh)
        except BaseException:
            # Cancelled or failed mid-query: the connection's state is unknown, so it is not reused.
            await self.close()
            raise

    async def _connect(self) -> psycopg.AsyncConnection[tuple[int]]:
        import psycopg

        loop = asyncio.get_running_loop()
        if loop.time() < self._retry_at:
            raise ConnectionError("the database was unreachable a moment ago")
        try:
            conn = await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True, connect_timeout=self._connect_timeout
            )
        except Exception:
            self._retry_at = loop.time() + self._retry_after
            raise
        conn.pgconn.nonblocking = 1  # _read_revision sends and reads through it without ever blocking
        return conn

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            # Already broken or not: nothing more to release.
            with contextlib.suppress(Exception):
                await conn.close()

    @property
    def reads(self) -> int:
        return self._coalesced.reads


# The revision query, prepared once per connection under this name.
_STATEMENT = b"minedash_data_revision"


async def _read_revision(pgconn: pq.abc.PGconn, *, prepare: bool) -> int | None:
    """The revision through the connection's libpq object, not a psycopg cursor.

    A cursor costs about 45 µs of CPU per read (the cursor, its loaders and row, psycopg's waiting machinery); the
    prepared statement sent and its one value read here cost about 10 (a throwaway loop of 3,000 reads each). Under
    load a worker reads about once per four requests, so that was a tenth of what a cached answer costs.
    """
    if prepare:
        pgconn.send_prepare(_STATEMENT, REVISION_SQL.encode())
        await _result(pgconn)
    pgconn.send_query_prepared(_STATEMENT, None)
    result = await _result(pgconn)
    return None if result.ntuples == 0 else int(result.get_value(0, 0) or b"")


async def _result(pgconn: pq.abc.PGconn) -> pq.abc.PGresult:
    """The one result of the command just sent, waiting on the event loop for the socket, never blocking it."""
    from psycopg import pq

    loop = asyncio.get_running_loop()
    while pgconn.flush():  # a non-blocking connection: 1 while some of the command is still to be written
        await _ready(loop, pgconn.socket, writing=True)
    result: pq.abc.PGresult | None = None
    # Up to the end of the command's answer (its ReadyForQuery), so the next command can be sent. get_result()
    # blocks while the connection is busy, non-blocking mode or not: it is called only when it is not, and the
    # socket is waited for on the loop otherwise (the answer's messages may come in more than one packet).
    while True:
        pgconn.consume_input()
        if pgconn.is_busy():
            await _ready(loop, pgconn.socket, writing=False)
            continue
        found = pgconn.get_result()
        if found is None:
            break
        result = result or found
    if result is None or result.status not in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
        message = (result.error_message if result is not None else pgconn.error_message) or b"no result"
        raise ConnectionError(f"data revision read failed: {message.decode(errors='replace').strip()}")
    return result


async def _ready(loop: asyncio.AbstractEventLoop, fd: int, *, writing: bool) -> None:
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    (loop.add_writer if writing else loop.add_reader)(fd, wake)
    try:
        await ready
    finally:
        (loop.remove_writer if writing else loop.remove_reader)(fd)


class SqliteRevisionReader:
    """SQLite: a connection of its own, read on a thread of its own, never on the event loop.

    The read takes microseconds, but anything that blocks the loop stops every request of the worker, and
    what it waits for (a connection of the engine's pool, the file's lock) may be held by requests that
    themselves wait for the loop. So the read runs on one dedicated thread (not the pool the routes share,
    where it would queue behind them), with a connection that is not the engine's (no pool wait at all),
    coalesced like Postgres's and given up after `timeout`: the request then goes through the app.
    In WAL mode (app.store.db) a read does not wait for writers.
    """

    def __init__(self, connect: Callable[[], sqlite3.Connection], *, timeout: float = 2.0) -> None:
        self._connect = connect
        self._executor: ThreadPoolExecutor | None = None
        # Used only on the executor's one thread.
        self._conn: sqlite3.Connection | None = None
        self._coalesced = Coalescer(self._query, timeout=timeout)

    @classmethod
    def from_engine(cls, engine: Engine, *, busy_timeout_ms: int = 1000, **kwargs: Any) -> SqliteRevisionReader:
        """Connect to the engine's file as the engine does (same path and URL options), autocommit, read-only."""
        cargs, cparams = engine.dialect.create_connect_args(engine.url)

        def connect() -> sqlite3.Connection:
            options: dict[str, Any] = {**cparams, "check_same_thread": False, "isolation_level": None}
            conn: sqlite3.Connection = sqlite3.connect(str(cargs[0]), **options)
            conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            conn.execute("PRAGMA query_only=ON")
            return conn

        return cls(connect, **kwargs)

    async def read(self) -> int | None:
        return await self._coalesced()

    async def _query(self) -> int | None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="minedash-revision")
        # Cancelled by the Coalescer's timeout, the await ends at once; a read still queued behind a stuck
        # one is dropped, the stuck one finishes on its thread, and no other thread is started meanwhile.
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._fetch)

    def _fetch(self) -> int | None:
        if self._conn is None:
            self._conn = self._connect()
        try:
            # Autocommit: each read is a transaction of its own, so it sees every commit made before it.
            row = self._conn.execute(REVISION_SQL).fetchone()
        except sqlite3.Error:
            self._close_connection()
            raise
        return None if row is None else int(row[0])

    def _close_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    async def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            # On the reader's thread, after any read in flight; the loop does not wait for it.
            executor.submit(self._close_connection)
            executor.shutdown(wait=False)

    @property
    def reads(self) -> int:
        return self._coalesced.reads


def make_revision_reader(url: str, engine: Engine) -> RevisionReader | None:
    """The reader for this database, or None (no fast path) for a database it does not know."""
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        return PostgresRevisionReader.from_url(url)
    if backend == "sqlite":
        database = engine.url.database
        if database in (None, "", ":memory:") or engine.url.query.get("mode") == "memory":
            # Another connection would see another (empty) database: no fast path.
            return None
        return SqliteRevisionReader.from_engine(engine)
    return None
