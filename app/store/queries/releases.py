"""The company's published releases: each month with a published figure, when it was published and corrected.

Two statements whatever the number of months or sites: the company's sites, then in one answer the company rows
and the site rows grouped by month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, literal, null, select, union_all
from sqlalchemy.orm import Session

from app.domain.release import ReleaseInfo
from app.store.models import CompanyMonth, RecordStatus, Site, SiteMonth


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive datetimes; every stored moment is UTC.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)


def _earliest(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    known = [m for m in (a, b) if m is not None]
    return min(known) if known else None


def list_releases(
    company_id: int, *, session: Session, published_only: bool = True, site_ids: Sequence[int] | None = None
) -> list[ReleaseInfo]:
    """Every month of the company with published figures, oldest first (with drafts too for a staff preview).
    `site_ids`: the company's sites' ids, when the caller has them.

    A month's release is published when its first row was; it is corrected when a row was published again
    after that (the latest such moment, with its reason).
    """
    company_stmt = select(
        literal(True).label("from_company"),
        CompanyMonth.period,
        CompanyMonth.published_at,
        CompanyMonth.revised_at,
        CompanyMonth.revision_reason,
        CompanyMonth.source_url,
    ).where(CompanyMonth.company_id == company_id)
    # The sites' ids as values, not as a subquery: with `IN (SELECT ...)` Postgres joins and scans every site month
    # of every company (9 ms on the benchmark's small dataset) instead of reading this company's through the
    # (site_id, period) index (2 ms); as app.store.queries.dashboard does.
    if site_ids is None:
        site_ids = session.scalars(select(Site.id).where(Site.company_id == company_id)).all()
    site_stmt = (
        select(
            literal(False),
            SiteMonth.period,
            func.min(SiteMonth.published_at),
            func.max(SiteMonth.revised_at),
            null(),
            null(),
        )
        .where(SiteMonth.site_id.in_(site_ids))
        .group_by(SiteMonth.period)
    )
    if published_only:
        company_stmt = company_stmt.where(CompanyMonth.status == RecordStatus.published)
        site_stmt = site_stmt.where(SiteMonth.status == RecordStatus.published)
    answer = session.execute(union_all(company_stmt, site_stmt)) if site_ids else session.execute(company_stmt)
    company_rows: list[Any] = []
    site_rows: list[Any] = []
    for row in answer.all():
        if row[0]:
            company_rows.append(row[1:])
        else:
            site_rows.append(row[1:4])
    return merge_releases(company_rows, site_rows)


def merge_releases(company_rows: Sequence[Any], site_rows: Sequence[Any]) -> list[ReleaseInfo]:
    """Releases oldest first, from the company's rows (period, published, revised, reason, source URL) and its
    sites' rows grouped by month (period, first published, last revised)."""
    found: dict[dt.date, ReleaseInfo] = {}
    for period, published, revised, reason, url in company_rows:
        found[period] = ReleaseInfo(period, _utc(published), _utc(revised), reason, url)
    for period, published, revised in site_rows:
        published, revised = _utc(published), _utc(revised)
        known = found.get(period)
        if known is None:
            found[period] = ReleaseInfo(period, published, revised, None, None)
            continue
        later_revision = revised is not None and (known.revised_at is None or revised > known.revised_at)
        found[period] = ReleaseInfo(
            period,
            _earliest(known.published_at, published),
            revised if later_revision else known.revised_at,
            None if later_revision else known.revision_reason,
            known.source_url,
        )
    return [found[p] for p in sorted(found)]
