"""What the overview reads about a company's months before its figures, in one statement: the bounds and "data as
of" (dashboard.company_data_summary), each site's first and last month (reported_spans), and the releases
(releases.list_releases).

The three read the same rows through the same indexes; asked one by one they cost four round trips per page
build, each about a millisecond of driver and SQLAlchemy time whatever it reads. Here they are the three parts of
one UNION ALL: the company's rows, its sites' rows grouped by month, and grouped by site.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Executable,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from app.domain.release import ReleaseInfo
from app.store.models import CompanyMonth, RecordStatus, Site, SiteMonth
from app.store.queries.dashboard import DataSummary, latest_moment
from app.store.queries.releases import merge_releases


@dataclass(frozen=True, slots=True)
class CompanyFacts:
    summary: DataSummary
    spans: dict[int, tuple[dt.date, dt.date]]
    releases: list[ReleaseInfo] | None  # None unless asked for


# Each part's rows start with what they are.
_COMPANY, _MONTH, _SITE = "c", "m", "s"


def company_facts(
    company_id: int,
    sites: Sequence[Site],
    *,
    session: Session,
    published_only: bool = True,
    with_releases: bool = True,
) -> CompanyFacts:
    """The summary, the sites' spans and the releases of one company, as the three functions give them (drafts
    too with `published_only=False`, as for a staff preview). Without releases (a chart's table or CSV needs none)
    the company's rows come as one aggregate instead of one per month."""
    site_ids = [s.id for s in sites]
    statement = _statement(published_only, with_releases, bool(site_ids))
    rows = session.execute(statement, {"company_id": company_id, "site_ids": site_ids}).all()
    return _facts(rows, published_only, with_releases)


@lru_cache(maxsize=8)
def _statement(published_only: bool, with_releases: bool, with_sites: bool) -> Executable:
    """The statement for each kind of call, built once: its many columns cost more to build than to run."""
    company: ColumnElement[bool] = CompanyMonth.company_id == bindparam("company_id")
    if published_only:
        company = and_(company, CompanyMonth.status == RecordStatus.published)
    # Every part has the same columns: what it is, a month (the first), a site, the first and last publication,
    # the last revision and edit, a release's reason and source, and the last month.
    if with_releases:
        company_part = select(
            literal(_COMPANY).label("part"),
            CompanyMonth.period,
            # Typed, in SQL (Postgres resolves a column of NULLs in two parts as text, which an integer or a date
            # in the third does not match) and for the driver (SQLite returns a date as text unless told).
            cast(null(), Integer).label("site_id"),
            CompanyMonth.published_at,
            CompanyMonth.published_at,
            CompanyMonth.revised_at,
            CompanyMonth.updated_at,
            CompanyMonth.revision_reason,
            CompanyMonth.source_url,
            cast(null(), Date).label("last_period"),
        ).where(company)
    else:
        company_part = select(
            literal(_COMPANY).label("part"),
            func.min(CompanyMonth.period),
            cast(null(), Integer).label("site_id"),
            *_moments(CompanyMonth),
            cast(null(), String).label("revision_reason"),
            cast(null(), String).label("source_url"),
            func.max(CompanyMonth.period),
        ).where(company)
    if not with_sites:
        return company_part
    parts: list[Select[*tuple[Any, ...]]] = [company_part]
    # The sites' ids as values: Postgres then reads their rows through the (site_id, period) index.
    mine: ColumnElement[bool] = SiteMonth.site_id.in_(bindparam("site_ids", expanding=True))
    if published_only:
        mine = and_(mine, SiteMonth.status == RecordStatus.published)
    if with_releases:
        by_month = select(literal(_MONTH), SiteMonth.period, null(), *_moments(SiteMonth), null(), null(), null())
        parts.append(by_month.where(mine).group_by(SiteMonth.period))
    by_site = select(
        literal(_SITE),
        func.min(SiteMonth.period),
        SiteMonth.site_id,
        *_moments(SiteMonth),
        null(),
        null(),
        func.max(SiteMonth.period),
    )
    parts.append(by_site.where(mine).group_by(SiteMonth.site_id))
    return union_all(*parts)


def _moments(model: type[CompanyMonth] | type[SiteMonth]) -> tuple[ColumnElement[Any], ...]:
    """A group's first and last publication, last revision and last edit."""
    return (
        func.min(model.published_at),
        func.max(model.published_at),
        func.max(model.revised_at),
        func.max(model.updated_at),
    )


def _facts(rows: Sequence[Any], published_only: bool, with_releases: bool) -> CompanyFacts:
    company_rows: list[tuple[Any, ...]] = []
    month_rows: list[tuple[Any, ...]] = []
    spans: dict[int, tuple[dt.date, dt.date]] = {}
    periods: list[dt.date] = []
    moments: list[dt.datetime | None] = []
    for part, period, site_id, first_pub, last_pub, revised, updated, reason, url, last in rows:
        if period is None:  # the company's aggregate over no rows
            continue
        periods.append(period)
        if last is not None:
            periods.append(last)
        # Drafts have no published_at: their last edit is what a preview shows as "as of".
        moments.extend((last_pub, revised, None if published_only else updated))
        if part == _SITE:
            spans[site_id] = (period, last)
        elif part == _MONTH:
            month_rows.append((period, first_pub, revised))
        elif with_releases:
            company_rows.append((period, first_pub, revised, reason, url))
    summary = DataSummary(
        first=min(periods) if periods else None,
        last=max(periods) if periods else None,
        changed_at=latest_moment(*moments),
    )
    releases = merge_releases(company_rows, month_rows) if with_releases else None
    return CompanyFacts(summary=summary, spans=spans, releases=releases)
