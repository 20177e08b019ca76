"""What a commit that changed published data sets off: the hooks that render pages ahead (app.cache.page_store).

The data layer only says, inside the writing transaction, which companies the change concerns
(app.store.queries.bump_data_revision notes them in `session.info`); the web layer registers what to do about it
(`on_publish`, at app start). Once the transaction has committed and given its connection back, the hooks
run with those companies in a session of their own. Nothing here knows about pages, so the queries need not
import the web layer.

They run **after the answer, not inside it**, and **once the writes pause**: the write hands the companies to one
render thread per process and returns; that thread waits until no write has come for `QUIET_SECONDS` (at most
`LONGEST_WAIT_SECONDS` after the first), then hands them all to the worker's render process
(app.cache.render_process), so the render's CPU is not taken from the readers this worker answers meanwhile.
Waiting for the pause does two things. The writes of one release (ten site months and the company's month, PUT
one after another by a trusted system, or a month published and its corrections) cost one render, not one
per write; and the reads that follow a write at once (the staff member who saved and opens the site page, the
system that reads back what it wrote) do not share the host's cores with a render of a page they may not
read. Freshness does not depend on when a render finishes: a stored page carries the revision read before
its data, and it is served only while the company's `changed_revision` is not newer (app.cache.page_store),
so a page rendered late is current or unused, never stale. Until it is stored, a reader builds the page
itself, unless this worker's render of it has started (`rendering`): then it waits for that one (`wait_for`).
A render finds the page already stored by such a reader and skips it (the hook checks). On a connection that
is itself inside a transaction (the test suite's, which no other thread may use) the hooks run inline, before
the commit call returns.

The session begins as a reader: a hook builds in it without holding SQLite's write lock, and stores what it
built in a short writing transaction (app.cache.page_store.store), so other writers never wait for a render.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable, Mapping

from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, SessionTransaction

from app.cache import render_process
from app.store.queries import CHANGED_COMPANIES

log = logging.getLogger("minedash.publish_hooks")

# A render starts once no write has come for this long (a release's writes arrive back to back), and at the
# latest this long after the first write it waits for (a long import still gets its pages rendered as it goes).
QUIET_SECONDS = 0.25
LONGEST_WAIT_SECONDS = 1.0

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
    if isinstance(bind, Connection):
        run_hooks(bind, frozenset(changed), dict(_hooks))
    else:
        _renderer.submit(bind, frozenset(changed))


def run_hooks(bind: Engine | Connection, changed: frozenset[int], hooks: Mapping[str, PublishHook]) -> None:
    """Each hook for the changed companies, in a session of its own; a failing hook is logged, not raised."""
    for name, hook in hooks.items():
        started = time.perf_counter()
        try:
            # Its own session: the committed one may not run SQL from inside its commit. On a connection that
            # is itself inside a transaction (the test suite's), a savepoint keeps the outer one intact.
            with _session(bind) as fresh:
                hook(fresh, changed)
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


class _Renderer:
    """One thread per process that runs the hooks for committed changes once the writes pause, coalesced."""

    def __init__(self, quiet: float = QUIET_SECONDS, longest: float = LONGEST_WAIT_SECONDS) -> None:
        self._quiet = quiet
        self._longest = longest
        self._cond = threading.Condition()
        self._pending: dict[Engine, set[int]] = {}
        self._running: set[int] = set()
        # When the oldest pending change and the latest one were submitted (monotonic), and whether someone
        # waits for the pending renders (they start at once then).
        self._first = self._last = 0.0
        self._hurried = False
        self._thread: threading.Thread | None = None

    def submit(self, bind: Engine, companies: frozenset[int]) -> None:
        with self._cond:
            now = time.monotonic()
            if not self._pending:
                self._first = now
            self._last = now
            self._pending.setdefault(bind, set()).update(companies)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="publish-hooks", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def _due_in(self) -> float:
        """Seconds until the pending renders start (zero or less: now). Called holding the condition."""
        if self._hurried:
            return 0.0
        due = min(self._last + self._quiet, self._first + self._longest)
        return due - time.monotonic()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while True:
                    if not self._pending:
                        self._cond.wait()
                        continue
                    left = self._due_in()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                bind, companies = self._pending.popitem()
                self._hurried = bool(self._pending) and self._hurried
                self._running = set(companies)
            try:
                _render(bind, frozenset(companies))
            finally:
                with self._cond:
                    self._running = set()
                    self._cond.notify_all()

    def _queued(self, company_id: int) -> bool:
        return any(company_id in ids for ids in self._pending.values())

    def busy_with(self, company_id: int) -> bool:
        """Whether a render of the company runs, or waits only for the thread (not for the writes to pause)."""
        with self._cond:
            return company_id in self._running or (self._queued(company_id) and self._due_in() <= 0)

    def wait_for(self, company_id: int | None, timeout: float) -> bool:
        """Until no render for this company (None: for any) is queued or running; False on timeout. A render
        waiting for the writes to pause starts at once: someone needs it now."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while (
                (self._pending or self._running)
                if company_id is None
                else (company_id in self._running or self._queued(company_id))
            ):
                if self._pending and not self._hurried:
                    self._hurried = True
                    self._cond.notify_all()
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True


_renderer = _Renderer()
_process = render_process.RenderProcess()


def _for_process(bind: Engine) -> tuple[str, dict[str, str]] | None:
    """The database URL and the hooks by import path, when the render process can take them all."""
    hooks = dict(_hooks)
    named = {name: path for name, hook in hooks.items() if (path := render_process.import_path(hook)) is not None}
    url = render_process.shareable_url(bind)
    return (url, named) if url is not None and len(named) == len(hooks) else None


def _render(bind: Engine, changed: frozenset[int]) -> None:
    """In the worker's render process when it can take these hooks and this database, else on this thread."""
    handed = _for_process(bind)
    if handed is not None and _process.run(*handed, changed):
        return
    run_hooks(bind, changed, dict(_hooks))


def start_render_process(bind: Engine) -> threading.Thread | None:
    """Get this worker's render process ready now, on a thread of its own, rather than at the first publish (see
    RenderProcess.start); the thread, or None when the renders would run on the render thread anyway. A publish
    meanwhile waits for the start it would otherwise have made itself."""
    handed = _for_process(bind)
    if handed is None or not _hooks:
        return None
    thread = threading.Thread(target=_process.start, args=handed, name="render-process-start", daemon=True)
    thread.start()
    return thread


def rendering(company_id: int) -> bool:
    """Whether this process renders the company now, or will as soon as its render thread is free; not while the
    render waits for the writes to pause (a reader then builds the page rather than wait for the pause)."""
    return _renderer.busy_with(company_id)


def wait_for(company_id: int | None = None, *, timeout: float = 5.0) -> bool:
    """Wait until this process has no render for the company (None: none at all) queued or running.

    A reader that found no current stored page waits here rather than build the same page beside the render
    (both would compete for the same CPU); False when the timeout ran out first.
    """
    return _renderer.wait_for(company_id, timeout)


# A command that publishes and exits (an import from the command line) leaves its pages rendered, then
# ends its render process (registered first, so it runs last).
atexit.register(_process.close)
atexit.register(wait_for, None, timeout=30.0)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(CHANGED_COMPANIES, None)


def _session(bind: Engine | Connection) -> Session:
    return Session(bind=bind, join_transaction_mode="create_savepoint", expire_on_commit=False)
