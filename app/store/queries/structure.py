"""A company's sites and events, kept between builds by their structure stamps (app.store.models.stamps).

Every page about a company reads its sites, and its charts the events that explain them, on every build: two
statements and two dozen ORM objects, about a tenth of a build right after a correction, for rows that change a
few times a year. The database moves the company's structure stamp whenever one of its sites or events is written,
changed or deleted, and the network's for an event of every company (migration 0014); the stamps come with the
months' (app.store.queries.month_stamps.read_stamps, read first by every build), so keeping the two lists by them
costs no statement.

What is kept are copies that belong to no session: the objects a request loaded belong to its session, which
expires them when it rolls back and reloads them through itself, while the copies are read by every thread of the
process. Nothing loads a relationship of a site or an event (they raise), so a copy answers whatever the original
would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.lru import Lru
from app.store.models import Event, Site
from app.store.queries import list_events, list_sites
from app.store.queries.month_stamps import Stamps, read_stamps

_T = TypeVar("_T", Site, Event)


@dataclass(frozen=True, slots=True)
class Structure:
    """A company's sites by name, and its events with those of every company, by date (as list_sites and
    list_events give them)."""

    sites: tuple[Site, ...]
    events: tuple[Event, ...]


# By company: the structure stamps it was read under, and what was read. A few KB per company.
KEPT: Lru[int, tuple[tuple[int | None, int | None], Structure]] = Lru(512)


def stamps_and_structure(company_id: int, *, session: Session) -> tuple[Stamps, Structure]:
    """The company's stamps (read_stamps) and, read after them, its sites and events: what a page of the company
    reads first, in the order that keeps what is kept by the stamps at least as new as they are."""
    stamps = read_stamps(company_id, session=session)
    return stamps, company_structure(company_id, stamps, session=session)


def company_structure(company_id: int, stamps: Stamps, *, session: Session) -> Structure:
    """The company's sites and events, read again only when a structure stamp moved since they were kept.

    `stamps` must have been read (read_stamps) in this transaction before anything else of the company: what is
    kept under them is then at least as new as they are. Stamps read for a range of months carry no structure
    stamps, and the lists are read every time.
    """
    key = stamps.structure
    if key is not None:
        kept = KEPT.get(company_id)
        if kept is not None and kept[0] == key:
            return kept[1]
    found = Structure(
        sites=_copies(list_sites(company_id, session=session)),
        events=_copies(list_events(session=session, company_id=company_id)),
    )
    if key is not None:
        KEPT.put(company_id, (key, found))
    return found


def _copies(rows: Sequence[_T]) -> tuple[_T, ...]:
    """Each row as a new instance of its class with the same column values, in no session."""
    if not rows:
        return ()
    mapper = inspect(type(rows[0]))
    keys = [attr.key for attr in mapper.column_attrs]
    out = []
    for row in rows:
        copy = mapper.class_manager.new_instance()
        for key in keys:
            set_committed_value(copy, key, getattr(row, key))
        out.append(copy)
    return tuple(out)
