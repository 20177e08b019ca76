"""The keys under which a series' finished month views are kept: each month's stamps (app.store.models.stamps).

Reading 120 stamps costs a fraction of reading the 1,320 rows and 3,600 history entries of ten years of ten
sites, and tells which months changed since a view was kept: a series then reads the rows of those months only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from app.domain.reports import add_months, month_range
from app.store.models import MonthStamp
from app.store.models.stamps import NETWORK, STRUCTURE


@dataclass(frozen=True, slots=True)
class Stamps:
    """Every stamp of one company's months and of the network's, read once (app.store.queries.company_facts) for
    whatever else the same request builds from them."""

    company_id: int
    company: dict[dt.date, int]
    network: dict[dt.date, int]
    # The structure stamps (the company's and the network's, under STRUCTURE) when they were read: None for a
    # range of months, whose statement leaves them out.
    structure: tuple[int | None, int | None] | None = None


def read_stamps(company_id: int, *, session: Session) -> Stamps:
    """All of them: about a hundred and twenty rows of three integers per ten years, and the structure stamps."""
    # .all(): one fetch from the driver, where iterating the result fetches row by row.
    rows = session.execute(_all_statement(), {"companies": [company_id, NETWORK]}).all()
    return _stamps(company_id, rows, with_structure=True)


def _stamps(company_id: int, rows: Sequence[Any], *, with_structure: bool = False) -> Stamps:
    """Rows of (owner, period, stamp), the network's apart from the company's, the structure stamps apart."""
    company: dict[dt.date, int] = {}
    network: dict[dt.date, int] = {}
    structure: dict[int, int] = {}
    for owner, period, stamp in rows:
        if period == STRUCTURE:
            structure[owner] = stamp
        else:
            (network if owner == NETWORK else company)[period] = stamp
    shape = (structure.get(company_id), structure.get(NETWORK)) if with_structure else None
    return Stamps(company_id, company, network, shape)


def month_keys(
    company_id: int,
    *,
    session: Session,
    start: dt.date,
    end: dt.date,
    published_only: bool,
    stamps: Stamps | None = None,
) -> dict[dt.date, Hashable]:
    """Per month of [start, end], in order: what its view is kept under besides the series' sites.

    A month's view reads the company's rows of the month (its sites', its own, its history entries), its holdings
    of the month before, and the network's month: their three stamps, and whether drafts are read. Read before the
    rows that a missing view is built from, so a view is never kept under a stamp newer than its rows; `stamps`
    read earlier in the request (before any row) serve as well, and save the statement.
    """
    if stamps is None or stamps.company_id != company_id:
        # Pending ORM writes reach the database (and its triggers) first, as a query through the session would.
        session.flush()
        values = {"companies": [company_id, NETWORK], "start": add_months(start, -1), "end": end}
        stamps = _stamps(company_id, session.connection().execute(_statement(), values).all())
    company, network = stamps.company, stamps.network
    keys: dict[dt.date, Hashable] = {}
    before: int | None = company.get(add_months(start, -1))
    for period in month_range(start, end):
        current = company.get(period)
        keys[period] = (published_only, current, before, network.get(period))
        before = current
    return keys


@cache
def _all_statement() -> Select[int, dt.date, int]:
    return select(MonthStamp.company_id, MonthStamp.period, MonthStamp.stamp).where(
        MonthStamp.company_id.in_(bindparam("companies", expanding=True))
    )


@cache
def _statement() -> Select[int, dt.date, int]:
    """Built once, its values given as parameters (as app.store.queries._month_statement)."""
    return select(MonthStamp.company_id, MonthStamp.period, MonthStamp.stamp).where(
        MonthStamp.company_id.in_(bindparam("companies", expanding=True)),
        MonthStamp.period >= bindparam("start"),
        MonthStamp.period <= bindparam("end"),
    )
