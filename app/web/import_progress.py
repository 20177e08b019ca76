"""Applying a large CSV import while the editor watches it progress.

A ten-year file for ten sites writes over a thousand months (with their audit entries) and takes seconds.
Rather than a page that hangs that long, the confirm answer is streamed: the page's head at once, then a
progress bar that advances as rows are saved, then the outcome. Nothing is shown as imported before the
commit has succeeded.

Why a stream and not a background job with a progress URL: the app runs several workers, and a job's
progress kept in one worker's memory would be invisible to the others; the stream keeps the apply and its
progress on one connection. The apply runs on a thread of its own, in its own transaction, which the stream
only reads progress from: an editor who closes the tab does not cut an import in half (all rows or none,
as always). The page needs no script: each new bar follows the previous one, and CSS shows only the last.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends, Request
from fastapi.responses import StreamingResponse
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from app.domain.actors import Actor
from app.http.templating import templates
from app.schemas.csv_months import parse_csv
from app.store.db import session_scope
from app.store.models import Company
from app.store.queries import imports as import_queries
from app.store.queries import months as month_queries

log = logging.getLogger(__name__)

# From this many rows to save the confirm answer streams its progress; below, it simply redirects.
STREAM_FROM_ROWS = 200
_MARKER = "<!--import-progress-->"

WriterFactory = Callable[[], contextlib.AbstractContextManager[Session]]


def get_writer_factory() -> WriterFactory:
    """Sessions for work that outlives the request's own transaction (one writing transaction each)."""
    return contextlib.contextmanager(_writer)


def _writer() -> Iterator[Session]:
    yield from session_scope(writing=True)


WriterFactoryDep = Annotated[WriterFactory, Depends(get_writer_factory)]


@dataclass(frozen=True, slots=True)
class ApplyRequest:
    """What the confirmed dry run was: the file, the digest of the plan the editor saw, and their choices."""

    company_id: int
    content: bytes
    digest: str
    publish: bool
    reason: str | None
    actor: Actor


class _Stale(Exception):
    """The stored figures changed between the confirm check and the apply."""


def stream_apply(request: Request, company: Company, job: ApplyRequest, writer: WriterFactory) -> StreamingResponse:
    page = templates.TemplateResponse(
        request,
        "staff/months/import_progress.html",
        {"company": company, "active_nav": "import", "marker": Markup(_MARKER)},
    )
    head, _, tail = bytes(page.body).decode("utf-8").partition(_MARKER)
    events: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()

    async def body() -> AsyncIterator[str]:
        yield head
        # Started only now: the request's own transaction has ended by the time the stream begins.
        threading.Thread(target=_apply, args=(job, writer, events), name="import-apply", daemon=True).start()
        while True:
            event = await anyio.to_thread.run_sync(events.get)
            yield _render(event)
            if event[0] in ("done", "failed"):
                break
        yield tail

    return StreamingResponse(
        body(), media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )


def _apply(job: ApplyRequest, writer: WriterFactory, events: queue.SimpleQueue[tuple[Any, ...]]) -> None:
    try:
        with writer() as session:
            company = session.get(Company, job.company_id)
            parsed = parse_csv(job.content)
            plan = import_queries.plan_import(session=session, company=company, parsed=parsed) if company else None
            if company is None or plan is None or parsed.errors or plan.digest() != job.digest:
                raise _Stale
            counts = import_queries.apply_import(
                session=session,
                company=company,
                plan=plan,
                actor=job.actor,
                publish=job.publish,
                reason=job.reason,
                progress=_Percent(events),
            )
            events.put(("committing",))
        events.put(("done", counts, len(import_queries.rows_to_write(plan, publish=job.publish))))
    except _Stale:
        events.put(("failed", "The stored figures changed since your dry run: nothing was imported. Upload again."))
    except month_queries.VersionConflict:
        events.put(("failed", "Someone saved some of these months meanwhile: nothing was imported. Upload again."))
    except (month_queries.ReasonRequired, month_queries.MonthValidationError) as exc:
        events.put(("failed", f"Nothing was imported: {exc}"))
    except Exception:
        log.exception("import apply failed")
        events.put(("failed", "The import failed on the server: nothing was imported. Try again later."))


class _Percent:
    """Passes on a row's progress only when the whole percentage moves: at most a hundred steps to send."""

    def __init__(self, events: queue.SimpleQueue[tuple[Any, ...]]) -> None:
        self.events = events
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        percent = done * 100 // total
        if percent > self.last:
            self.last = percent
            self.events.put(("progress", done, total))


def _render(event: tuple[Any, ...]) -> str:
    kind = event[0]
    if kind == "progress":
        done, total = event[1], event[2]
        return (
            f'<li class="import-step"><progress value="{done}" max="{total}">{done * 100 // total}%</progress> '
            f"{done:,} of {total:,} rows saved</li>\n"
        )
    if kind == "committing":
        return '<li class="import-step">All rows saved; committing…</li>\n'
    if kind == "done":
        counts, total = event[1], event[2]
        return (
            f'<li class="import-step"><progress value="{total}" max="{total}">100%</progress> '
            f"all {total:,} rows saved and committed</li>\n"
            '</ol><div class="flash" role="status" id="import-outcome">'
            f"Imported: {counts['created']:,} new, {counts['updated']:,} changed, {counts['published']:,} published."
            "</div><ol hidden>\n"
        )
    return (
        '<li class="import-step">Stopped.</li></ol>'
        '<div class="form-error-summary" role="alert" id="import-outcome">'
        f"<p>{escape(event[1])}</p></div><ol hidden>\n"
    )
