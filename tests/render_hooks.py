"""Publish hooks a render process can import by name (tests/test_render_process.py)."""

from __future__ import annotations

import os
import time

from sqlalchemy.orm import Session

from app.cache import page_store
from app.store import queries

PID_KEY = "test:render-pid"


def record_pid(session: Session, company_ids: frozenset[int]) -> None:
    """Store which process ran the hook, and for which companies, as a page only the test reads."""
    revision = queries.get_data_revision(session=session).revision
    body = f"{os.getpid()} {sorted(company_ids)}".encode()
    page_store.store(session, [page_store.BuiltPage.make(PID_KEY, revision, body, "text/plain")])


def stall(session: Session, company_ids: frozenset[int]) -> None:
    """A render that never finishes in time."""
    time.sleep(60)
