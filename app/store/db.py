"""Engine, sessions and the per-request transaction."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.settings import get_settings


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or is not migrated; the message is one line."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _fix_sqlite_transactions(engine)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        connect_args={"connect_timeout": 5},
        **kwargs,
    )


def _fix_sqlite_transactions(engine: Engine) -> None:
    # pysqlite opens transactions lazily and behind SQLAlchemy's back, which breaks SAVEPOINT
    # (used by the tests) and lets foreign keys go unchecked; take control of both.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@lru_cache(maxsize=1)
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


def get_session() -> Iterator[Session]:
    """One transaction per request: commit on success, roll back on error.

    Declared with ``Depends(get_session, scope="function")`` so the commit runs before the
    response is sent: a failed commit becomes an error response, never a false "saved".
    """
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def describe_url(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

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
