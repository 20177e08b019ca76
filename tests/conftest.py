"""Test set-up: one migrated database per run, each test inside a transaction rolled back at the end.

DATABASE_URL picks the database (Postgres in CI); without it the tests use a fresh SQLite file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="minedash-tests-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_TMP / 'test.db'}")
os.environ["ENVIRONMENT"] = "test"
os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")

import pytest  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from httpx2 import Response  # noqa: E402
from sqlalchemy import Engine, event, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.cache.revisions import REVISION_SQL  # noqa: E402
from app.http.deps import get_session  # noqa: E402
from app.main import create_app  # noqa: E402
from app.store import migrate  # noqa: E402
from app.store.db import get_engine  # noqa: E402
from app.store.models import Company, UserRole  # noqa: E402
from app.web.import_progress import get_writer_factory  # noqa: E402
from tests.factories import make_company, make_site  # noqa: E402


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    engine = get_engine()
    # Start from nothing so a database left by an earlier run cannot hide a migration problem.
    migrate.downgrade(engine, "base")
    migrate.upgrade(engine, "head")
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A session whose commits are savepoints inside an outer transaction that is rolled back."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def app(db_session: Session) -> FastAPI:
    application = create_app(check_database_on_startup=False)

    def transaction() -> Iterator[Session]:
        # A request's (or a streamed import's) own transaction: a savepoint that fails rolls back only its work.
        try:
            yield db_session
            db_session.commit()
        except BaseException:
            db_session.rollback()
            raise

    def override() -> Iterator[Session]:
        # What the test set up before the request counts as committed, as it would be in production.
        db_session.commit()
        yield from transaction()

    application.dependency_overrides[get_session] = override
    application.dependency_overrides[get_writer_factory] = lambda: contextlib.contextmanager(transaction)
    # The fast path reads the revision where the test's (uncommitted) writes are, as production reads the
    # committed ones: a bump in a test must send the next request to the app.
    application.state.revision_reader = SessionRevisionReader(db_session)
    return application


@pytest.fixture
def acme(db_session: Session) -> Company:
    """A company with two sites (alpha, beta) and no figures: what the import tests start from."""
    company = make_company(db_session, slug="acme", name="Acme Mining")
    for slug in ("alpha", "beta"):
        make_site(db_session, company, slug=slug, name=slug.title())
    db_session.commit()
    return company


class SessionRevisionReader:
    """The fast path's revision read, through the test's session; counts its reads."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.reads = 0

    async def read(self) -> int | None:
        self.reads += 1
        return self.session.execute(text(REVISION_SQL)).scalar()

    async def close(self) -> None:
        pass


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


def log_in(client: TestClient, email: str, password: str) -> Response:
    """Post the staff login form; the client keeps the session cookie. Returns the (303) response."""
    response = client.post("/staff/login", data={"email": email, "password": password}, follow_redirects=False)
    assert response.status_code == 303, f"login as {email} failed: {response.status_code}"
    return response


def _logged_in_client(app: FastAPI, db_session: Session, role: UserRole) -> Iterator[TestClient]:
    from tests.factories import DEFAULT_PASSWORD, make_user

    user = make_user(db_session, role=role)
    with TestClient(app, base_url="http://testserver") as test_client:
        log_in(test_client, user.email, DEFAULT_PASSWORD)
        test_client.user = user  # type: ignore[attr-defined]
        yield test_client


@pytest.fixture
def editor_client(app: FastAPI, db_session: Session) -> Iterator[TestClient]:
    """A fresh client logged in as a new editor (the User is `editor_client.user`)."""
    yield from _logged_in_client(app, db_session, UserRole.editor)


@pytest.fixture
def admin_client(app: FastAPI, db_session: Session) -> Iterator[TestClient]:
    """A fresh client logged in as a new admin (the User is `admin_client.user`)."""
    yield from _logged_in_client(app, db_session, UserRole.admin)


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(engine: Engine) -> Iterator[QueryCounter]:
    counter = QueryCounter()
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)


def pytest_report_header() -> str:
    from app.store.db import describe_url

    return f"minedash database: {describe_url(os.environ['DATABASE_URL'])}"


@pytest.fixture(autouse=True)
def _fresh_response_cache() -> Iterator[None]:
    # Each test rolls its data back, so revision numbers repeat across tests: cached pages must not leak.
    from app.cache.responses import cache
    from app.lru import clear_all
    from app.store.queries import MONTH_VIEWS

    cache.clear()
    # Everything kept in memory goes too: the fast path's index (revisions repeat), and the month views and what is
    # built from them, so that a test that patches the domain's formulas never reads what was built before. The
    # memo's counters start again for the tests that count its hits.
    clear_all()
    MONTH_VIEWS.hits = MONTH_VIEWS.misses = 0
    yield
