"""Read queries of the investor pages: period bounds with the last published change, several companies at once.

Each function runs a fixed number of statements whatever the number of months, sites or companies.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from app.domain.provenance import apply_history
from app.domain.reports import MonthView, add_months, build_company_series
from app.store.models import Company, CompanyMonth, RecordStatus, Site, SiteMonth
from app.store.queries import _in_range, list_network_months, reported_spans
from app.store.queries.figure_history import list_histories


@dataclass(frozen=True, slots=True)
class DataSummary:
    """First and last month with a figure, and when a figure last changed (published or revised)."""

    first: dt.date | None
    last: dt.date | None
    changed_at: dt.datetime | None


def latest_moment(*moments: dt.datetime | None) -> dt.datetime | None:
    """The latest of the moments given, each read as UTC (SQLite hands back naive datetimes); None if none."""
    known = [m if m.tzinfo else m.replace(tzinfo=dt.UTC) for m in moments if m is not None]
    return max(known) if known else None


def company_data_summary(company_id: int, *, session: Session, published_only: bool = True) -> DataSummary:
    """Bounds and "data as of" of one company (company level, its sites, their months)."""
    summaries = company_data_summaries([company_id], session=session, published_only=published_only)
    return summaries.get(company_id, DataSummary(None, None, None))


def company_data_summaries(
    company_ids: Sequence[int], *, session: Session, published_only: bool = True
) -> dict[int, DataSummary]:
    """The same for several companies, in two statements whatever their number."""
    if not company_ids:
        return {}
    cm_stmt = (
        select(
            literal(True).label("from_company"),
            CompanyMonth.company_id,
            func.min(CompanyMonth.period),
            func.max(CompanyMonth.period),
            func.max(CompanyMonth.published_at),
            func.max(CompanyMonth.revised_at),
            func.max(CompanyMonth.updated_at),
        )
        .where(CompanyMonth.company_id.in_(company_ids))
        .group_by(CompanyMonth.company_id)
    )
    # Grouped by site over the sites' own ids, not joined through `site`: Postgres then reads one company's
    # rows through the (site_id, period) index instead of scanning every site month of every company.
    company_of_site = dict(
        session.execute(select(Site.id, Site.company_id).where(Site.company_id.in_(company_ids))).all()
    )
    sm_stmt = (
        select(
            literal(False),
            SiteMonth.site_id,
            func.min(SiteMonth.period),
            func.max(SiteMonth.period),
            func.max(SiteMonth.published_at),
            func.max(SiteMonth.revised_at),
            func.max(SiteMonth.updated_at),
        )
        .where(SiteMonth.site_id.in_(list(company_of_site)))
        .group_by(SiteMonth.site_id)
    )
    if published_only:
        cm_stmt = cm_stmt.where(CompanyMonth.status == RecordStatus.published)
        sm_stmt = sm_stmt.where(SiteMonth.status == RecordStatus.published)
    found: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    # The company rows and the site rows in one answer: one round trip fewer.
    answer = session.execute(union_all(cm_stmt, sm_stmt)) if company_of_site else session.execute(cm_stmt)
    for row in answer.all():
        found[row[1] if row[0] else company_of_site[row[1]]].append(tuple(row[2:]))
    out: dict[int, DataSummary] = {}
    for company_id, rows in found.items():
        firsts = [r[0] for r in rows if r[0] is not None]
        lasts = [r[1] for r in rows if r[1] is not None]
        # Drafts have no published_at: their last edit is what a preview shows as "as of".
        moments = [m for r in rows for m in (r[2], r[3], None if published_only else r[4])]
        out[company_id] = DataSummary(
            first=min(firsts) if firsts else None,
            last=max(lasts) if lasts else None,
            changed_at=latest_moment(*moments),
        )
    return out


def load_companies_series(
    companies: Sequence[Company],
    *,
    session: Session,
    start: dt.date,
    end: dt.date,
    published_only: bool = True,
) -> dict[int, list[MonthView]]:
    """MonthViews of several companies over one range, in four statements whatever their number."""
    ids = [c.id for c in companies]
    if not ids or start > end:
        return {}
    sites = session.scalars(select(Site).where(Site.company_id.in_(ids)).order_by(Site.name)).all()
    cm_stmt = _in_range(
        select(CompanyMonth).where(CompanyMonth.company_id.in_(ids)), CompanyMonth.period, add_months(start, -1), end
    )
    sm_stmt = _in_range(
        select(SiteMonth).join(Site, Site.id == SiteMonth.site_id).where(Site.company_id.in_(ids)),
        SiteMonth.period,
        start,
        end,
    )
    if published_only:
        cm_stmt = cm_stmt.where(CompanyMonth.status == RecordStatus.published)
        sm_stmt = sm_stmt.where(SiteMonth.status == RecordStatus.published)
    company_months = session.scalars(cm_stmt.order_by(CompanyMonth.period)).all()
    site_months = session.scalars(sm_stmt.order_by(SiteMonth.period, SiteMonth.site_id)).all()
    network = list_network_months(session=session, start=start, end=end)
    company_of_site = {s.id: s.company_id for s in sites}
    histories = list_histories(ids, session=session, start=start, end=end, sites=sites, for_provenance=True)
    spans = reported_spans([s.id for s in sites], session=session, published_only=published_only)
    out: dict[int, list[MonthView]] = {}
    for company_id in ids:
        out[company_id] = build_company_series(
            sites=[s for s in sites if s.company_id == company_id],
            company_months=[r for r in company_months if r.company_id == company_id],
            site_months=[r for r in site_months if company_of_site.get(r.site_id) == company_id],
            network_months=network,
            start=start,
            end=end,
            spans=spans,
        )
        apply_history(out[company_id], histories.get(company_id, []))
    return out
