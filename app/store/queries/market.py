"""Read queries of the market pages and API: the league table's months, its rows, a company's quarters.

A fixed number of statements whatever the number of companies or months.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.league import DEFAULT_SORT, LeagueRow, build_league, default_month
from app.domain.metrics import COMPANY_METRICS, COMPANY_OPERATING_METRICS
from app.domain.quarters import Basis, Quarter, build_quarters
from app.domain.reports import add_months
from app.store import queries
from app.store.models import Company, CompanyMonth, RecordStatus, Site, SiteMonth
from app.store.queries.dashboard import load_companies_series


def companies_per_month(*, session: Session) -> dict[dt.date, int]:
    """How many companies published a BTC-mined figure (company total or a site's) for each month."""
    pairs: dict[dt.date, set[int]] = defaultdict(set)
    company_rows = session.execute(
        select(CompanyMonth.period, CompanyMonth.company_id).where(
            CompanyMonth.status == RecordStatus.published, CompanyMonth.btc_mined_total.is_not(None)
        )
    ).all()
    site_rows = session.execute(
        select(SiteMonth.period, Site.company_id)
        .join(Site, Site.id == SiteMonth.site_id)
        .where(SiteMonth.status == RecordStatus.published, SiteMonth.btc_mined.is_not(None))
        .distinct()
    ).all()
    for period, company_id in (*company_rows, *site_rows):
        pairs[period].add(company_id)
    return {period: len(ids) for period, ids in pairs.items()}


@dataclass(frozen=True, slots=True)
class League:
    month: dt.date | None  # None: no company has published BTC mined yet
    default_month: dt.date | None
    months: list[dt.date]  # months with at least one company's BTC mined, newest first
    counts: dict[dt.date, int]
    sort: str
    rows: list[LeagueRow]


def load_league(*, session: Session, month: dt.date | None = None, sort: str = DEFAULT_SORT) -> League:
    """The league of `month` (default: the latest month most companies published)."""
    counts = companies_per_month(session=session)
    default = default_month(counts)
    chosen = month or default
    months = sorted(counts, reverse=True)
    if chosen is None:
        return League(None, None, [], counts, sort, [])
    companies: Sequence[Company] = queries.list_companies(session=session)
    series = load_companies_series(companies, session=session, start=add_months(chosen, -1), end=chosen)
    rows = build_league(
        [(c.slug, c.name, c.ticker, series.get(c.id, [])) for c in companies],
        chosen,
        sort,
    )
    return League(chosen, default, months, counts, sort, rows)


def load_company_quarters(
    company: Company,
    *,
    session: Session,
    basis: Basis = "fiscal",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[Quarter]:
    """The company's quarters over its published months (or [start, end], widened to whole quarters)."""
    first, last = queries.published_period_bounds(company.id, session=session)
    start, end = start or first, end or last
    if start is None or end is None or start > end:
        return []
    # Whole quarters: up to two months before and after, so an edge quarter is not cut by the range.
    _, views = queries.load_company_series(
        company, session=session, start=add_months(start, -2), end=add_months(end, 2)
    )
    quarters = build_quarters(views, company.fiscal_year_end_month, basis)
    return [q for q in quarters if q.months[-1] >= start and q.start <= end]


@dataclass(slots=True)
class CompanySources:
    slug: str
    name: str
    months: int = 0
    figures: int = 0
    estimates: int = 0
    pages: set[str] = field(default_factory=set)


def company_sources(*, session: Session) -> list[CompanySources]:
    """Per company: published months, figures, the distinct source pages and the estimates (one statement)."""
    rows = session.execute(
        select(Company.slug, Company.name, CompanyMonth)
        .join(CompanyMonth, CompanyMonth.company_id == Company.id)
        .where(CompanyMonth.status == RecordStatus.published)
        .order_by(Company.name, CompanyMonth.period)
    ).all()
    found: dict[str, CompanySources] = {}
    for slug, name, month in rows:
        entry = found.setdefault(slug, CompanySources(slug, name))
        entry.months += 1
        per_figure = month.figure_sources or {}
        for column in (*COMPANY_METRICS, *COMPANY_OPERATING_METRICS):
            if getattr(month, column) is None:
                continue
            source = per_figure.get(column) or {}
            entry.figures += 1
            url = source.get("source_url") or month.source_url
            if url:
                entry.pages.add(url)
            entry.estimates += bool(source.get("is_estimate", month.is_estimate))
    return list(found.values())
