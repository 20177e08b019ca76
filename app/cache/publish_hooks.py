"""What a commit that changed published data sets off: the hooks that render pages ahead (app.cache.page_store).

The data layer only says, inside the writing transaction, which companies the change concerns
(app.store.queries.bump_data_revision notes them in `session.info`); the web layer registers what to do about it
(`on_publish`, at app start). Once the transaction has committed and given its connection back, every hook
runs with those companies in a session of its own, before the commit call returns. Nothing here knows about
pages, so the queries need not import the web layer.

The session begins as a reader: a hook builds in it without holding SQLite's write lock, and stores what it
built in a short writing transaction (app.cache.page_store.store), so other writers never wait for a render.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, SessionTransaction

from app.store.queries import CHANGED_COMPANIES

log = logging.getLogger("minedash.publish_hooks")

# Given a session and the companies a commit changed; called after that commit.
PublishHook = Callable[[Session, frozenset[int]], None]

_hooks: dict[str, PublishHook] = {}


def on_publish(name: str, hook: PublishHook) -> None:
    """Register (or replace) a hook by name: creating the app twice must not build every page twice."""
    _hooks[name] = hook


# The companies a commit changed, kept from the commit until the session has given its connection back.
_COMMITTED = "minedash_committed_companies"


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    changed: set[int] | None = session.info.pop(CHANGED_COMPANIES, None)
    if changed:
        session.info.setdefault(_COMMITTED, set()).update(changed)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # Once the committed transaction has ended, its connection is back in the pool: a hook holding a second
    # one meanwhile would let as many parallel publishes as the pool has connections wait for each other
    # until the pool timeout (each holding one, each waiting for another).
    if transaction.parent is not None:
        return
    changed: set[int] | None = session.info.pop(_COMMITTED, None)
    if not changed or not _hooks:
        return
    bind = session.get_bind()
    for name, hook in list(_hooks.items()):
        started = time.perf_counter()
        try:
            # Its own session: the committed one may not run SQL from inside its commit. On a connection that
            # is itself inside a transaction (the test suite's), a savepoint keeps the outer one intact.
            with _session(bind) as fresh:
                hook(fresh, frozenset(changed))
                fresh.commit()
        except Exception:
            # The data is committed whatever happens here; without the page, the first reader builds it.
            log.exception("hook after publish failed", extra={"fields": {"hook": name}})
            continue
        log.info(
            "hook after publish done",
            extra={
                "fields": {
                    "hook": name,
                    "companies": sorted(changed),
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                }
            },
        )


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(CHANGED_COMPANIES, None)


def _session(bind: Engine | Connection) -> Session:
    return Session(bind=bind, join_transaction_mode="create_savepoint", expire_on_commit=False)
