"""Pages rendered when their data is published, kept in the database so every worker can serve them.

A correction or a monthly release is followed by a burst of investors opening the company's page. Building
that page costs far more than sending it, so the write that publishes pays for it: once its transaction has
committed, the hooks registered with app.cache.publish_hooks render the pages of the companies it changed and store
them here with the data revision they were built at. The first reader, on any worker, then gets a finished page.
A page that had to be built on demand (nothing published it since the last change) is kept here too, after
the request that built it has answered, so the other workers do not build it again.

A stored page is served only while nothing it shows has changed since it was built: for a company's pages,
while the company's `changed_revision` is not newer than the page. A correction to one company therefore
leaves every other company's stored pages in use, where the in-memory cache (app.cache.responses, keyed by
the data revision) loses them all. A write that names no company counts for all of them; a hook that failed
costs speed (the page is built on demand), never correctness.
"""

from __future__ import annotations

import gzip
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import brotli
from sqlalchemy import ColumnElement, and_, case, null, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.cache import publish_hooks
from app.cache.responses import MIN_COMPRESS_BYTES, CachedBody, compress
from app.store.db import begin_writing, release_connection
from app.store.models import PageSnapshot, utcnow

log = logging.getLogger("minedash.page_store")
# How long a reader waits for a render in flight in its own worker before it builds the page itself.
RENDER_WAIT_SECONDS = 2.0


def get(
    session: Session, key: str, encoding: str | None, *, current_since: int | ColumnElement[int]
) -> CachedBody | None:
    """The page stored under `key` if it was built at `current_since` or later, in the client's `encoding`.

    `current_since` is the revision of the last change to what the page shows; as a SQL expression (e.g. the
    company's `changed_revision`) it is read in the same statement as the page, so a change committed after
    the request read the data revision cannot slip between the two reads.

    Only one form crosses the wire (32 KB of brotli instead of 430 KB of HTML for a ten-year overview: 0.4
    instead of 6 ms on Postgres): the client's if it is stored, else the plain body if it is (a page too small
    to compress), else brotli. The plain body the in-memory cache keeps beside it is decompressed here.
    """
    wanted = {"br": PageSnapshot.body_br, "gzip": PageSnapshot.body_gzip}.get(encoding or "")
    missing = true() if wanted is None else wanted.is_(None)
    row = session.execute(
        select(
            PageSnapshot.media_type,
            null() if wanted is None else wanted,
            case((missing, PageSnapshot.body)),
            # Brotli for a client that takes it, or to decompress for one that does not.
            case((and_(missing, PageSnapshot.body.is_(None)), PageSnapshot.body_br)),
        ).where(PageSnapshot.key == key, PageSnapshot.revision >= current_since)
    ).first()
    if row is None:
        return None
    media_type, data, body, fallback = row
    entry = CachedBody(body=b"", gzipped=None, media_type=media_type, headers={"content-type": media_type})
    if data is None and body is not None:
        entry.body = bytes(body)
    elif data is None or encoding == "br":
        entry.brotli = bytes(data if data is not None else fallback)
        entry.body = brotli.decompress(entry.brotli)
    else:
        entry.gzipped = bytes(data)
        entry.body = gzip.decompress(entry.gzipped)
    return entry


def current_keys(session: Session, since: dict[str, int]) -> set[str]:
    """Of the keys given with the revision of the last change to what each page shows, those stored since."""
    if not since:
        return set()
    rows = session.execute(select(PageSnapshot.key, PageSnapshot.revision).where(PageSnapshot.key.in_(since)))
    return {key for key, revision in rows if revision >= since[key]}


@dataclass(frozen=True, slots=True)
class BuiltPage:
    """A page ready to be stored, its compressed forms made: the slow part, done before any lock is taken."""

    key: str
    revision: int
    media_type: str
    body: bytes
    brotli: bytes | None
    gzipped: bytes | None

    @classmethod
    def make(
        cls,
        key: str,
        revision: int,
        body: bytes,
        media_type: str,
        *,
        brotli: bytes | None = None,
        gzipped: bytes | None = None,
    ) -> BuiltPage:
        """Compressed ahead for browsers (br); pass the forms already made. A gzip form is stored only when one
        was made already: every browser takes brotli, and making gzip ahead (about 5 ms for a ten-year overview,
        three times brotli's) delayed every publish's render for the rare client without it, whose worker
        compresses the plain body once (app.cache.responses.CachedBody)."""
        compressible = len(body) >= MIN_COMPRESS_BYTES
        return cls(
            key=key,
            revision=revision,
            media_type=media_type,
            body=body,
            brotli=(brotli or compress(body, "br")) if compressible else None,
            gzipped=gzipped if compressible else None,
        )


def put(
    session: Session,
    key: str,
    revision: int,
    body: bytes,
    media_type: str,
    *,
    brotli: bytes | None = None,
    gzipped: bytes | None = None,
) -> None:
    """Store a page built at `revision` in the session's transaction (see BuiltPage.make for the arguments)."""
    write(session, BuiltPage.make(key, revision, body, media_type, brotli=brotli, gzipped=gzipped))


def write(session: Session, page: BuiltPage) -> None:
    """Store a page in the session's transaction. One built at an older revision never replaces a newer one:
    two writers may finish out of order."""
    values = {
        "key": page.key,
        "revision": page.revision,
        "media_type": page.media_type,
        # Only when there is no brotli form: every other reader takes that one (see PageSnapshot).
        "body": page.body if page.brotli is None else None,
        "body_br": page.brotli,
        "body_gzip": page.gzipped,
        "built_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(PageSnapshot).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[PageSnapshot.key],
        set_={name: stmt.excluded[name] for name in values if name != "key"},
        where=PageSnapshot.revision <= stmt.excluded.revision,
    )
    session.execute(stmt)


def store(session: Session, pages: Sequence[BuiltPage]) -> None:
    """Store pages in a short writing transaction of their own, and commit it.

    The session's current transaction, the one that read the data to build them, is committed first (it
    wrote nothing). Building a page takes a good part of a second and needs no lock; storing it takes
    milliseconds: on SQLite only the storing holds the write lock, so other writers wait that long, not
    for the renders. Each page carries its revision, so storing it in a later transaction is safe.
    """
    session.commit()
    begin_writing(session)
    for page in pages:
        write(session, page)
    session.commit()


@dataclass(frozen=True, slots=True)
class SharedPage:
    """One stored page as a request sees it (app.cache.responses.SharedStore).

    `revision` is the data revision the request read before reading any data, so what it builds is at least
    that new; `current_since` is the revision of the last change to what the page shows (see `get`).
    """

    session: Session
    key: str
    revision: int
    current_since: int | ColumnElement[int]
    # The company whose publish renders this page (app.cache.publish_hooks), if one does.
    company_id: int | None = None

    def load(self, encoding: str | None) -> CachedBody | None:
        found = get(self.session, self.key, encoding, current_since=self.current_since)
        # This worker is rendering the page right now, after a publish: the finished page is nearer than a
        # build of our own would be, and both would take the same CPU. (A render still waiting for the writes
        # to pause is not: this reader builds the page and stores it, and the render then skips it.)
        rendering = found is None and self.company_id is not None and publish_hooks.rendering(self.company_id)
        if rendering:
            # Waiting holds no connection (a burst of readers would drain the pool), and the read after it is
            # a new transaction: the one before the wait still sees the database as it was before the render
            # stored the page.
            release_connection(self.session)
            if publish_hooks.wait_for(self.company_id, timeout=RENDER_WAIT_SECONDS):
                found = get(self.session, self.key, encoding, current_since=self.current_since)
        return found

    def keep(self, entry: CachedBody) -> None:
        """Store a page built on demand, so the other workers need not build it too.

        Called once the answer has gone (app.cache.responses.revision_cached runs it as a background task), in
        a session and transaction of its own that takes the write lock: the read that built the page never
        writes, so it never waits for a writer or fails on a lock. A failure here (a lock held past the busy
        timeout, a read-only database) is logged and costs the other workers a build, nothing more.
        """
        try:
            page = BuiltPage.make(
                self.key, self.revision, entry.body, entry.media_type, brotli=entry.brotli, gzipped=entry.gzipped
            )
            with Session(
                bind=self.session.get_bind(), join_transaction_mode="create_savepoint", expire_on_commit=False
            ) as session:
                store(session, [page])
        except Exception:
            log.warning("could not store a page built on demand", exc_info=True, extra={"fields": {"key": self.key}})
