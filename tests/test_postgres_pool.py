"""The Postgres pool hands back the connection just used, and psycopg prepares what a request sends again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from app.store.db import make_engine


@pytest.fixture
def own_engine(engine: Engine) -> Iterator[Engine]:
    """An engine of the test's own on the suite's database: its pool starts empty and ends with the test."""
    if engine.dialect.name != "postgresql":
        pytest.skip("a Postgres pool and driver setting: SQLite opens a connection per thread and prepares nothing")
    own = make_engine(engine.url.render_as_string(hide_password=False))
    yield own
    own.dispose()


def test_the_next_request_gets_the_connection_returned_last(own_engine: Engine) -> None:
    # A burst opens three; one request after another then keeps using the last one given back, not each in turn.
    first, second, third = (own_engine.connect() for _ in range(3))
    drivers = [c.connection.dbapi_connection for c in (first, second, third)]
    for conn in (first, second, third):
        conn.close()
    for _ in range(3):
        with own_engine.connect() as conn:
            assert conn.connection.dbapi_connection is drivers[-1]


def test_a_statement_sent_again_on_a_connection_is_prepared(own_engine: Engine) -> None:
    marker = "SELECT count(*) FROM data_revision WHERE id = :id AND 'prepare-check' IS NOT NULL"
    with own_engine.connect() as conn:
        for _ in range(2):
            conn.execute(text(marker), {"id": 1})
        prepared = conn.execute(
            text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE :like"), {"like": "%prepare-check%"}
        ).scalar_one()
    assert prepared == 1
