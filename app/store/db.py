"""Engine, sessions and the per-request transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from app.settings import get_settings


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or is not migrated; the message is one line."""


# Execution option naming a connection whose transactions write: on SQLite they begin IMMEDIATE (see
# begin_writing). Set per connection, so reads keep the cheaper deferred BEGIN.
WRITING = "minedash_writing"
# How long a SQLite statement waits for another connection's write lock before "database is locked", unless
# the URL says otherwise (`sqlite:///minedash.db?timeout=10`, in seconds, as Python's sqlite3 takes it).
SQLITE_BUSY_TIMEOUT = 5.0
# SQLite connections are cheap, and a request waiting for one holds a worker thread: let every thread of
# anyio's pool (40) have one, with room for a publish hook's second connection; a request that still finds
# none gives up after the busy timeout (answered 503) rather than SQLAlchemy's 30 s.
SQLITE_POOL_SIZE = 40
SQLITE_POOL_OVERFLOW = 10
# A Postgres connection costs a server process: ten per worker.
POSTGRES_POOL_SIZE = 5
POSTGRES_POOL_OVERFLOW = 5
# psycopg prepares a statement on a connection once it has run it this many times before (its default: 5), so
# Postgres plans it once per connection instead of on every run: the overview's facts statement alone took
# 0.6 ms to plan, about a third of running it. Every statement the app sends repeatedly has the same text
# whatever its values (app.store.queries builds them with parameters), and psycopg keeps at most a hundred.
PREPARE_THRESHOLD = 1


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        busy_timeout = float(make_url(url).query.get("timeout", SQLITE_BUSY_TIMEOUT))  # type: ignore[arg-type]
        if not is_in_memory(url):
            pool = {"pool_size": SQLITE_POOL_SIZE, "max_overflow": SQLITE_POOL_OVERFLOW, "pool_timeout": busy_timeout}
            kwargs = {**pool, **kwargs}
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _fix_sqlite_transactions(engine, busy_timeout)
        return engine
    connect_args: dict[str, Any] = {"connect_timeout": 5}
    if make_url(url).get_driver_name() == "psycopg":
        connect_args["prepare_threshold"] = PREPARE_THRESHOLD
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=POSTGRES_POOL_SIZE,
        max_overflow=POSTGRES_POOL_OVERFLOW,
        # Last in, first out: one request after another gets the connection just used, whose server process has
        # the statements prepared and the catalog cached. In turn (the default), after a burst had opened all ten,
        # each page built after a change ran its statements on a connection that had not prepared them yet.
        pool_use_lifo=True,
        connect_args=connect_args,
        **kwargs,
    )


def request_slots(url: str) -> int:
    """How many requests may be in the routes at once (app.http.admission): each finds a connection without
    waiting, and two are left for a publish hook's thread and a request's second connection."""
    if url.startswith("sqlite"):
        return SQLITE_POOL_SIZE + SQLITE_POOL_OVERFLOW - 2
    return POSTGRES_POOL_SIZE + POSTGRES_POOL_OVERFLOW - 2


def is_in_memory(url: str) -> bool:
    """An SQLite database that lives in one process's memory (no other process can open it)."""
    parsed = make_url(url)
    return parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory"


def _fix_sqlite_transactions(engine: Engine, busy_timeout: float) -> None:
    # pysqlite opens transactions lazily and behind SQLAlchemy's back, which breaks SAVEPOINT
    # (used by the tests) and lets foreign keys go unchecked; take control of both.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={round(busy_timeout * 1000)}")
        # Write-ahead log: readers never wait for the writer and the writer never waits for readers. It is
        # a property of the file, kept once set (an in-memory database answers "memory" and stays so).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred transaction that reads and then writes cannot wait for the write lock: if another
        # writer got it meanwhile, SQLite fails at once ("database is locked") instead of applying the busy
        # timeout. A writing transaction therefore takes the lock when it begins and then waits its turn.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITING) else "BEGIN")


def begin_writing(session: Session) -> None:
    """Begin the session's transaction as one that writes: on SQLite it holds the write lock from the start.

    Call it before the session's first statement (a later call would start nothing and warn). Writers then
    queue for the lock (up to the busy timeout) instead of failing each other halfway. On Postgres, where
    row locks do this job, it is an ordinary BEGIN. A session bound to a connection that is already in a
    transaction (the tests') joins it with a savepoint, as before.
    """
    if isinstance(session.get_bind(), Engine):
        session.connection(execution_options={WRITING: True})


def release_connection(session: Session) -> None:
    """End a reading session's transaction so its pooled connection is free while the request waits.

    A request that waits for another thread's work (an answer another reader is building, a render in
    flight) needs no connection meanwhile; holding one lets a handful of waiters drain the pool, so the very
    build they wait for, or any other request, queues behind them. The next statement begins a new
    transaction, whose data is at least as new as what was read before. A session that wrote something, or
    one bound to a connection that is itself in a transaction (the tests'), is left as it is.
    """
    if not isinstance(session.get_bind(), Engine) or not session.in_transaction():
        return
    if session.new or session.dirty or session.deleted:
        return
    session.commit()


def writing_engine(engine: Engine) -> Engine:
    """The same engine (pool, events) whose transactions all begin as writers: for migrations."""
    return engine.execution_options(**{WRITING: True})


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@lru_cache(maxsize=1)
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


def session_scope(*, writing: bool) -> Iterator[Session]:
    """One transaction per request: commit on success, roll back on error (app.http.deps.get_session).

    The dependency is declared with ``scope="function"`` so the commit runs before the response is sent:
    a failed commit becomes an error response, never a false "saved". `writing` requests (unsafe methods)
    begin with the write lock (see begin_writing).
    """
    session = get_sessionmaker()()
    try:
        if writing:
            begin_writing(session)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# SQLite's primary result codes that mean "try again": another connection holds the lock, or the file
# cannot be opened right now.
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_CANTOPEN = 5, 6, 14


def unavailable_reason(exc: BaseException) -> str | None:
    """One line saying why the database cannot serve right now (locked, busy, unreachable), or None.

    None means the error is not about availability (a bug, a constraint): it stays a 500 / a traceback.
    """
    if isinstance(exc, PoolTimeoutError):
        return "all database connections are busy"
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        primary = code & 0xFF if isinstance(code, int) else None
        message = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
        if primary in (_SQLITE_BUSY, _SQLITE_LOCKED) or "database is locked" in message:
            return f"the database is locked by another writer ({message})"
        if primary == _SQLITE_CANTOPEN:
            return f"cannot open the database ({message})"
        return None
    import psycopg

    # Postgres's OperationalError family: connection lost or refused, lock or statement timeouts,
    # serialization failures and deadlocks. All say "not now", none says "never".
    if isinstance(orig, psycopg.OperationalError):
        text = str(orig).strip()
        return text.splitlines()[0] if text else type(orig).__name__
    return None


def describe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable DATABASE_URL>"


def check_database(engine: Engine, *, require_head: bool = True) -> None:
    """Raise DatabaseUnavailable unless the database answers (and is at the migration head)."""
    from app.store.migrate import current_revision, head_revision

    where = describe_url(str(engine.url.render_as_string(hide_password=False)))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            if require_head:
                current = current_revision(conn)
                head = head_revision()
                if current != head:
                    raise DatabaseUnavailable(
                        f"database {where} is at migration {current or 'none'}, expected {head}: run `minedash migrate`"
                    )
    except DatabaseUnavailable:
        raise
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise DatabaseUnavailable(f"cannot reach database {where}: {reason}") from None
