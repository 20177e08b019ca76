"""Pages rendered on publish: stored for every worker, served only at their revision, never in a write's way."""

from __future__ import annotations

from collections.abc import Iterator

import brotli
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.cache import page_store, publish_hooks
from app.cache.responses import cache, index
from app.domain.actors import Actor
from app.store import queries
from app.store.models import Company, PageSnapshot, Site
from app.store.queries.tokens import create_token
from app.web import dashboard
from tests.factories import make_company, make_site

PAGE = "/companies/writer"
SITE_URL = "/api/v1/companies/writer/sites/north/monthly/2025-03"


@pytest.fixture
def target(db_session: Session) -> tuple[Company, Site]:
    company = make_company(db_session, slug="writer")
    return company, make_site(db_session, company, slug="north")


@pytest.fixture
def auth(db_session: Session) -> dict[str, str]:
    secret = create_token(session=db_session, name="bot", scope="write", actor=Actor.system("test")).secret
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def no_builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Record every overview built on demand; yields the URLs that were built."""
    tried: list[str] = []
    real = dashboard.render_overview

    def record(request, company, **kwargs):  # type: ignore[no-untyped-def]
        tried.append(str(request.url))
        return real(request, company, **kwargs)

    monkeypatch.setattr(dashboard, "render_overview", record)
    yield tried


def _forget_worker_memory() -> None:
    """What another worker knows: nothing but the database."""
    cache.clear()
    index.clear()


def _snapshot(db_session: Session, company: Company) -> PageSnapshot | None:
    db_session.expire_all()
    return db_session.scalar(select(PageSnapshot).where(PageSnapshot.key == dashboard.overview_key(company.id)))


def test_a_publish_renders_the_company_overview_for_every_worker(
    client: TestClient, db_session: Session, target, auth, no_builds: list[str]
) -> None:
    company, _ = target
    saved = client.put(SITE_URL + "?publish=true", json={"btc_mined": "12.5"}, headers=auth)
    assert saved.status_code == 201, saved.text
    stored = _snapshot(db_session, company)
    assert stored is not None
    assert stored.revision == queries.get_data_revision(session=db_session).revision
    assert stored.body_br and stored.body_gzip is None  # browsers take brotli; gzip is made on demand
    # Only the brotli form is written: the plain body is for the rare reader without it, who gets it decompressed.
    assert stored.body is None
    plain = brotli.decompress(stored.body_br)

    _forget_worker_memory()
    page = client.get(PAGE, headers={"Accept-Encoding": "br"})
    assert page.status_code == 200
    assert page.headers["content-encoding"] == "br"
    assert "12.5 BTC mined" in page.text
    assert no_builds == []  # served from the store, not built
    assert page.content == plain
    # A client without brotli gets the stored page gzipped by its worker, still not built again.
    _forget_worker_memory()
    zipped = client.get(PAGE, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip" and zipped.content == plain
    assert no_builds == []
    # And one that takes no encoding at all, the plain page.
    _forget_worker_memory()
    bare = client.get(PAGE, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in bare.headers and bare.content == plain
    assert no_builds == []

    # The stored page is the page the app builds on demand, byte for byte.
    db_session.execute(PageSnapshot.__table__.delete())
    _forget_worker_memory()
    built = client.get(PAGE)
    assert len(no_builds) == 1
    assert built.content == plain


def test_a_correction_elsewhere_leaves_the_stored_page_in_use(
    client: TestClient, db_session: Session, target, auth, no_builds: list[str]
) -> None:
    company, _ = target
    other = make_company(db_session, slug="other")
    make_site(db_session, other, slug="south")
    assert client.put(SITE_URL + "?publish=true", json={"btc_mined": "12.5"}, headers=auth).status_code == 201
    before = queries.get_data_revision(session=db_session).revision
    elsewhere = "/api/v1/companies/other/sites/south/monthly/2025-03?publish=true"
    assert client.put(elsewhere, json={"btc_mined": "1"}, headers=auth).status_code == 201
    db_session.expire_all()
    assert queries.get_data_revision(session=db_session).revision > before
    assert company.changed_revision == before < other.changed_revision
    _forget_worker_memory()
    page = client.get(PAGE)
    assert page.status_code == 200 and "12.5 BTC mined" in page.text
    assert no_builds == []


def test_a_change_that_names_no_company_outdates_every_stored_page(
    client: TestClient, db_session: Session, target, auth, no_builds: list[str]
) -> None:
    company, _ = target
    assert client.put(SITE_URL + "?publish=true", json={"btc_mined": "12.5"}, headers=auth).status_code == 201
    assert _snapshot(db_session, company) is not None
    # The network's figures, say: they are on every company's page.
    queries.bump_data_revision(session=db_session)
    db_session.commit()
    _forget_worker_memory()
    assert client.get(PAGE).status_code == 200
    assert len(no_builds) == 1


def test_a_page_built_before_a_change_is_not_served_after_it(
    client: TestClient, db_session: Session, target, auth, no_builds: list[str]
) -> None:
    company, _ = target
    assert client.put(SITE_URL + "?publish=true", json={"btc_mined": "12.5"}, headers=auth).status_code == 201
    stored = _snapshot(db_session, company)
    assert stored is not None
    # A correction whose page build failed leaves the older page in the table: it must not be served.
    stale_revision = stored.revision
    hook = publish_hooks._hooks.pop("overview")
    try:
        etag = client.get(SITE_URL).headers["etag"]
        fixed = client.put(SITE_URL, json={"btc_mined": "13", "reason": "typo"}, headers={**auth, "If-Match": etag})
        assert fixed.status_code == 200
    finally:
        publish_hooks.on_publish("overview", hook)
    assert _snapshot(db_session, company).revision == stale_revision
    _forget_worker_memory()
    page = client.get(PAGE)
    assert "13 BTC mined" in page.text and "12.5 BTC mined" not in page.text
    # The old value is shown only as the correction's "12.5 BTC → 13 BTC", never as the figure.
    assert 'data-value="12.5' not in page.text
    assert "12.5 BTC → 13 BTC" in page.text.replace("\\u2192", "→")
    assert len(no_builds) == 1


def test_other_views_and_drafts_are_not_rendered_ahead(
    client: TestClient, db_session: Session, target, auth, no_builds: list[str]
) -> None:
    company, _ = target
    draft = client.put(SITE_URL, json={"btc_mined": "3"}, headers=auth)
    assert draft.status_code == 201
    assert _snapshot(db_session, company) is None
    published = client.put(
        SITE_URL + "?publish=true", json={"btc_mined": "3"}, headers={**auth, "If-Match": draft.headers["etag"]}
    )
    assert published.status_code == 200 and _snapshot(db_session, company) is not None
    _forget_worker_memory()
    assert client.get(PAGE + "?range=12m").status_code == 200
    assert no_builds == [f"http://testserver{PAGE}?range=12m"]


def test_the_default_view_spelled_out_is_the_stored_page(
    client: TestClient, db_session: Session, target, auth, no_builds: list[str]
) -> None:
    company, _ = target
    assert client.put(SITE_URL + "?publish=true", json={"btc_mined": "4"}, headers=auth).status_code == 201
    stored = _snapshot(db_session, company)
    assert stored is not None
    _forget_worker_memory()
    spelled = client.get(PAGE + "?range=all")
    assert spelled.status_code == 200 and spelled.content == brotli.decompress(stored.body_br or b"")
    assert no_builds == []
    # Anything else is another view, built on demand: the same months as a from-to range, or a site filter.
    for query in ("?range=all&site=north", "?from=2025-03&to=2025-03", "?range=all&quarters=calendar"):
        _forget_worker_memory()
        assert client.get(PAGE + query).status_code == 200
    assert len(no_builds) == 3


def test_a_page_stored_by_another_release_is_not_served(
    client: TestClient, db_session: Session, target, auth, no_builds: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    company, _ = target
    assert client.put(SITE_URL + "?publish=true", json={"btc_mined": "4"}, headers=auth).status_code == 201
    assert _snapshot(db_session, company) is not None
    # A deploy: other code, templates or script URLs. The page the previous release stored is not this one's.
    monkeypatch.setattr(dashboard, "build_tag", lambda: "next-release")
    _forget_worker_memory()
    assert client.get(PAGE).status_code == 200
    assert no_builds == [f"http://testserver{PAGE}"]


def test_a_failing_page_build_never_fails_the_write(
    client: TestClient, db_session: Session, target, auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    company, _ = target

    def broken(session: Session, company_ids: frozenset[int]) -> None:
        raise RuntimeError("template exploded")

    monkeypatch.setitem(publish_hooks._hooks, "overview", broken)
    saved = client.put(SITE_URL + "?publish=true", json={"btc_mined": "7"}, headers=auth)
    assert saved.status_code == 201
    assert _snapshot(db_session, company) is None
    monkeypatch.undo()
    _forget_worker_memory()
    page = client.get(PAGE)
    assert page.status_code == 200 and "7 BTC mined" in page.text


def test_an_older_build_never_replaces_a_newer_one(db_session: Session) -> None:
    page_store.put(db_session, "a", 5, b"five" * 400, "text/plain")
    page_store.put(db_session, "a", 4, b"four" * 400, "text/plain")
    assert page_store.get(db_session, "a", None, current_since=6) is None  # changed after it was built
    for encoding in ("br", "gzip", None):
        found = page_store.get(db_session, "a", encoding, current_since=5)
        assert found is not None and found.body == b"five" * 400
        # Brotli is the one form stored (gzip is made by the worker that needs it, the plain body decompressed
        # from brotli), so it is what comes from the store for every client.
        assert (found.brotli is not None, found.gzipped is not None) == (True, False)
    page_store.put(db_session, "b", 6, b"six", "text/plain")
    for encoding in ("br", "gzip", None):
        small = page_store.get(db_session, "b", encoding, current_since=6)
        assert small is not None and small.body == b"six" and small.brotli is None  # too small to compress
    stored = select(PageSnapshot.key, PageSnapshot.body).where(PageSnapshot.key.in_(["a", "b"]))
    rows = dict(db_session.execute(stored).tuples().all())
    assert rows == {"a": None, "b": b"six"}  # the plain body kept only where there is no brotli form


def test_a_page_built_on_demand_is_kept_for_the_other_workers(
    client: TestClient, db_session: Session, target, no_builds: list[str]
) -> None:
    company, _ = target
    # Nothing was published through the app: the first reader builds the page.
    first = client.get(PAGE)
    assert first.status_code == 200
    assert len(no_builds) == 1
    stored = _snapshot(db_session, company)
    assert stored is not None and stored.revision == queries.get_data_revision(session=db_session).revision
    _forget_worker_memory()
    again = client.get(PAGE)
    assert again.status_code == 200 and again.content == first.content == brotli.decompress(stored.body_br or b"")
    # The kept page is answered exactly as the built one was, its charset included.
    assert again.headers["content-type"] == first.headers["content-type"] == "text/html; charset=utf-8"
    assert len(no_builds) == 1


def test_a_store_that_refuses_the_page_never_fails_the_read(
    client: TestClient, db_session: Session, target, monkeypatch: pytest.MonkeyPatch, no_builds: list[str]
) -> None:
    company, _ = target

    def refuse(*args: object, **kwargs: object) -> None:
        raise OperationalError("INSERT INTO page_snapshot", {}, Exception("cannot execute in a read-only transaction"))

    monkeypatch.setattr(page_store, "write", refuse)
    page = client.get(PAGE)
    assert page.status_code == 200 and company.name in page.text
    assert _snapshot(db_session, company) is None
    _forget_worker_memory()
    assert client.get(PAGE).status_code == 200
    assert len(no_builds) == 2  # each worker builds it, as before there was a store


def test_a_render_skips_a_page_a_reader_stored_since_the_change(db_session: Session, target) -> None:
    """A reader who came before the render started built the page and stored it: the render has nothing to do."""
    company, _ = target
    queries.bump_data_revision(session=db_session, companies=[company.id])
    key = dashboard.overview_key(company.id)
    revision = queries.get_data_revision(session=db_session).revision
    page_store.write(db_session, page_store.BuiltPage.make(key, revision, b"<p>built by a reader</p>", "text/html"))
    dashboard.prebuild_overviews(db_session, frozenset({company.id}))
    entry = page_store.get(db_session, key, None, current_since=revision)
    assert entry is not None and entry.body == b"<p>built by a reader</p>"
    # After another change the stored page is outdated, and the render makes it again.
    queries.bump_data_revision(session=db_session, companies=[company.id])
    dashboard.prebuild_overviews(db_session, frozenset({company.id}))
    entry = page_store.get(db_session, key, None, current_since=revision + 1)
    assert entry is not None and company.name.encode() in entry.body


def test_a_reader_of_the_rendering_worker_waits_for_the_render(
    db_session: Session, target, monkeypatch: pytest.MonkeyPatch
) -> None:
    company, _ = target
    key = dashboard.overview_key(company.id)
    revision = queries.get_data_revision(session=db_session).revision
    waited: list[int] = []

    def render_finishes(company_id: int, *, timeout: float) -> bool:
        waited.append(company_id)
        page_store.write(db_session, page_store.BuiltPage.make(key, revision, b"<p>rendered</p>", "text/html"))
        return True

    monkeypatch.setattr(publish_hooks, "rendering", lambda company_id: company_id == company.id)
    monkeypatch.setattr(publish_hooks, "wait_for", render_finishes)
    entry = page_store.SharedPage(db_session, key, revision, revision, company.id).load(None)
    assert entry is not None and entry.body == b"<p>rendered</p>"
    assert waited == [company.id]
    # A page no render is coming for: nothing to wait for, the reader builds it.
    assert page_store.SharedPage(db_session, key + "-other", revision, revision, company.id + 1).load(None) is None
    assert waited == [company.id]


def test_a_reader_waiting_for_the_render_holds_no_connection(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """One connection in the pool: the render can only store its page if the waiting reader gave it back."""
    from app.store import migrate
    from app.store.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'wait.db'}", pool_size=1, max_overflow=0, pool_timeout=2)
    migrate.upgrade(engine)
    with Session(engine) as session:
        company_id = make_company(session, slug="waited").id
        revision = queries.get_data_revision(session=session).revision
        session.commit()
    key = dashboard.overview_key(company_id)

    def render_finishes(company_id: int, *, timeout: float) -> bool:
        with Session(engine) as render:
            page_store.store(render, [page_store.BuiltPage.make(key, revision, b"<p>rendered</p>", "text/html")])
        return True

    monkeypatch.setattr(publish_hooks, "rendering", lambda company_id: True)
    monkeypatch.setattr(publish_hooks, "wait_for", render_finishes)
    try:
        with Session(engine, expire_on_commit=False) as reader:
            entry = page_store.SharedPage(reader, key, revision, revision, company_id).load(None)
        assert entry is not None and entry.body == b"<p>rendered</p>"
    finally:
        engine.dispose()


def test_postgres_stores_the_bodies_without_compressing_them_again(db_session: Session) -> None:
    # Compressing the plain body (pglz) was most of the write a publish's first reader waits for.
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("a Postgres column setting: SQLite stores every value as it comes")
    storage = dict(
        db_session.execute(
            text(
                "SELECT attname, attstorage FROM pg_attribute "
                "WHERE attrelid = 'page_snapshot'::regclass AND attname LIKE 'body%'"
            )
        ).all()
    )
    assert storage == {"body": "e", "body_br": "e", "body_gzip": "e"}
