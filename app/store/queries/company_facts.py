"""What the overview reads about a company's months before its figures: the bounds and "data as of"
(dashboard.company_data_summary), each site's first and last month (reported_spans), and the releases
(releases.list_releases), as those three functions give them.

All three are made of what each month contributes: the company's row of the month (its publication, revision and
source) and its sites' rows (which sites, their first and last publication, revision and edit). Those are kept
between builds by the month's stamp (app.store.models.stamps), as the month views are (app.domain.month_memo): a
build reads the company's stamps, then the rows of the months whose stamps moved since they were kept (after a
correction, one month of ten sites instead of every month of the company), and puts the facts together from the
kept months. A month never written since the stamps' migration has no stamp: it is kept under None until its
first write gives it one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from app.domain.release import ReleaseInfo
from app.lru import Lru
from app.store.models import CompanyMonth, RecordStatus, SiteMonth
from app.store.queries.dashboard import DataSummary, latest_moment
from app.store.queries.month_stamps import Stamps, read_stamps
from app.store.queries.releases import merge_releases


@dataclass(frozen=True, slots=True)
class CompanyFacts:
    summary: DataSummary
    spans: dict[int, tuple[dt.date, dt.date]]
    releases: list[ReleaseInfo] | None  # None unless asked for
    # The stamps the facts were read under, for the series the same request loads (app.store.queries.month_stamps).
    stamps: Stamps | None = None


@dataclass(frozen=True, slots=True)
class _Month:
    """What one month contributes, as read under its stamp."""

    stamp: int | None
    # The company's row: published, revised, edited, the revision's reason, the source.
    company: tuple[Any, ...] | None
    # The sites with a row, and over their rows: the first and last publication, the last revision and edit.
    site_ids: tuple[int, ...]
    first_published: dt.datetime | None
    last_published: dt.datetime | None
    revised: dt.datetime | None
    updated: dt.datetime | None

    @property
    def empty(self) -> bool:
        return self.company is None and not self.site_ids


@dataclass(frozen=True, slots=True)
class _Kept:
    months: dict[dt.date, _Month]
    # The facts put together from `months`, with and without releases, once asked for.
    made: dict[bool, CompanyFacts]


# By company, drafts or not, and its sites (a site added, moved or removed changes what every month reads). About
# 120 small records per ten-year company.
FACTS: Lru[tuple[int, bool, tuple[int, ...]], _Kept] = Lru(256)


def company_facts(
    company_id: int,
    sites: Sequence[Any],
    *,
    session: Session,
    published_only: bool = True,
    with_releases: bool = True,
    stamps: Stamps | None = None,
) -> CompanyFacts:
    """The summary, the sites' spans and the releases of one company, as the three functions give them (drafts
    too with `published_only=False`, as for a staff preview); the releases only `with_releases` (a chart's table or
    CSV needs none). Two statements: the company's stamps (and the network's, which the facts carry for the series
    loaded next), then the rows of the months not kept under them; one when the caller read the stamps first and
    passes them (`stamps`, as read_stamps gives them)."""
    site_ids = tuple(sorted(s.id for s in sites))
    key = (company_id, published_only, site_ids)
    # The stamps before the rows: a month's facts are never kept under a stamp newer than the rows they were read
    # from (a write in between moves the stamp again, and the next build reads the month again).
    if stamps is None or stamps.company_id != company_id:
        stamps = read_stamps(company_id, session=session)
    read = stamps
    company_stamps = read.company
    kept = FACTS.get(key)
    if kept is None:
        months = _read(session, company_id, site_ids, published_only, company_stamps, None)
    else:
        changed = [
            p for p in company_stamps.keys() | kept.months.keys() if _moved(kept.months.get(p), company_stamps.get(p))
        ]
        if not changed:
            return replace(_made(kept, published_only, with_releases), stamps=read)
        fresh_months = _read(session, company_id, site_ids, published_only, company_stamps, sorted(changed))
        months = {**kept.months, **fresh_months}
    fresh = _Kept(months, {})
    FACTS.put(key, fresh)
    return replace(_made(fresh, published_only, with_releases), stamps=read)


def _moved(month: _Month | None, stamp: int | None) -> bool:
    return month is None or month.stamp != stamp


def _made(kept: _Kept, published_only: bool, with_releases: bool) -> CompanyFacts:
    made = kept.made.get(with_releases)
    if made is None:
        # Two threads may both put it together: the same facts either way.
        made = kept.made[with_releases] = _put_together(kept.months, published_only, with_releases)
    return made


def _put_together(months: dict[dt.date, _Month], published_only: bool, with_releases: bool) -> CompanyFacts:
    periods: list[dt.date] = []
    moments: list[dt.datetime | None] = []
    company_rows: list[tuple[Any, ...]] = []
    month_rows: list[tuple[Any, ...]] = []
    spans: dict[int, tuple[dt.date, dt.date]] = {}
    for period in sorted(months):
        month = months[period]
        if month.empty:
            continue
        periods.append(period)
        if month.company is not None:
            published, revised, updated, reason, url = month.company
            # Drafts have no publication: their last edit is what a preview shows as "as of".
            moments.extend((published, revised, None if published_only else updated))
            company_rows.append((period, published, revised, reason, url))
        if month.site_ids:
            moments.extend((month.last_published, month.revised, None if published_only else month.updated))
            month_rows.append((period, month.first_published, month.revised))
            for site_id in month.site_ids:
                span = spans.get(site_id)
                spans[site_id] = (period, period) if span is None else (span[0], period)
    summary = DataSummary(
        first=periods[0] if periods else None,
        last=periods[-1] if periods else None,
        changed_at=latest_moment(*moments),
    )
    releases = merge_releases(company_rows, month_rows) if with_releases else None
    return CompanyFacts(summary=summary, spans=spans, releases=releases)


def _read(
    session: Session,
    company_id: int,
    site_ids: tuple[int, ...],
    published_only: bool,
    stamps: dict[dt.date, int],
    periods: list[dt.date] | None,
) -> dict[dt.date, _Month]:
    """The facts of `periods` (all the company's months when None), each under its stamp; a period asked for that
    has no rows any more is kept as an empty month, so that it is not read again until its stamp moves."""
    statement = _rows_statement(published_only, bool(site_ids), periods is not None)
    values: dict[str, Any] = {"company_id": company_id, "site_ids": list(site_ids)}
    if periods is not None:
        values["periods"] = periods
    company: dict[dt.date, tuple[Any, ...]] = {}
    sites: dict[dt.date, list[tuple[Any, ...]]] = {}
    for part, period, site_id, published, revised, updated, reason, url in session.execute(statement, values):
        if part == _COMPANY:
            company[period] = (published, revised, updated, reason, url)
        else:
            sites.setdefault(period, []).append((site_id, published, revised, updated))
    wanted = set(periods) if periods is not None else company.keys() | sites.keys() | stamps.keys()
    return {p: _month(stamps.get(p), company.get(p), sites.get(p, [])) for p in wanted}


def _month(stamp: int | None, company: tuple[Any, ...] | None, rows: list[tuple[Any, ...]]) -> _Month:
    published = [r[1] for r in rows if r[1] is not None]
    revised = [r[2] for r in rows if r[2] is not None]
    updated = [r[3] for r in rows if r[3] is not None]
    return _Month(
        stamp=stamp,
        company=company,
        site_ids=tuple(sorted(r[0] for r in rows)),
        first_published=min(published, default=None),
        last_published=max(published, default=None),
        revised=max(revised, default=None),
        updated=max(updated, default=None),
    )


# What each row of the statement below is.
_COMPANY, _SITE = "c", "s"


@cache
def _rows_statement(published_only: bool, with_sites: bool, some_periods: bool) -> Executable:
    """The company's rows and its sites' rows, of some periods or all, as one UNION ALL; built once per shape (its
    many columns cost more to build than to run), its values given as parameters."""

    def where(model: type[CompanyMonth] | type[SiteMonth], owner: ColumnElement[bool]) -> ColumnElement[bool]:
        if published_only:
            owner = and_(owner, model.status == RecordStatus.published)
        if some_periods:
            owner = and_(owner, model.period.in_(bindparam("periods", expanding=True)))
        return owner

    company = select(
        literal(_COMPANY).label("part"),
        CompanyMonth.period,
        # Typed, in SQL (Postgres resolves a column of NULLs in one part as text, which an integer or a timestamp
        # in the other does not match) and for the driver (SQLite returns a date as text unless told).
        cast(null(), Integer).label("site_id"),
        CompanyMonth.published_at,
        CompanyMonth.revised_at,
        CompanyMonth.updated_at,
        CompanyMonth.revision_reason,
        CompanyMonth.source_url,
    ).where(where(CompanyMonth, CompanyMonth.company_id == bindparam("company_id")))
    if not with_sites:
        return company
    # The sites' ids as values: Postgres then reads their rows through the (site_id, period) index.
    sites = select(
        literal(_SITE),
        SiteMonth.period,
        SiteMonth.site_id,
        SiteMonth.published_at,
        SiteMonth.revised_at,
        SiteMonth.updated_at,
        cast(null(), String),
        cast(null(), String),
    ).where(where(SiteMonth, SiteMonth.site_id.in_(bindparam("site_ids", expanding=True))))
    return union_all(company, sites)
