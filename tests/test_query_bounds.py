"""Pages and API calls run a fixed number of SQL queries, whatever the number of companies, sites and months.

Each request is counted on a cold response cache (a full build, as right after a data change) and on a warm
one (what most visitors get), first with a small dataset, then after growing it five times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.cache.responses import cache, index
from app.domain.reports import add_months
from app.store.models import Company, CompanyMonth, Event, EventKind, NetworkMonth, RecordStatus, Site, SiteMonth
from app.store.queries import bump_data_revision, get_data_revision
from tests.conftest import QueryCounter

START = dt.date(2020, 1, 1)
MONTHS = 12  # in the small dataset; the large one has five times as many
# A full build needs a handful of queries (company, sites, bounds, rows, network, events, releases, revision,
# the figures' published history). Generous, but far below one query per month or per site. A cached answer is
# repeated by the fast path (app.cache.fast_path) after reading the revision alone.
MAX_BUILD_QUERIES = 15
MAX_CACHED_QUERIES = 1

# (name, path for a company slug, first month, last month)
PATHS: dict[str, Callable[[str, str, str], str]] = {
    "overview": lambda slug, first, last: f"/companies/{slug}",
    "monthly API, whole range": lambda slug, first, last: f"/api/v1/companies/{slug}/monthly",
    "monthly API, a range": lambda slug, first, last: f"/api/v1/companies/{slug}/monthly?from={first}&to={last}",
    "monthly API with provenance": lambda slug, first, last: (
        f"/api/v1/companies/{slug}/monthly?from={first}&to={last}&provenance=true"
    ),
    "monthly API as CSV": lambda slug, first, last: (
        f"/api/v1/companies/{slug}/monthly?from={first}&to={last}&format=csv"
    ),
    "monthly API as long CSV": lambda slug, first, last: (
        f"/api/v1/companies/{slug}/monthly?from={first}&to={last}&format=csv&shape=long"
    ),
    "site page": lambda slug, first, last: f"/companies/{slug}/sites/site-0",
    "chart CSV": lambda slug, first, last: f"/companies/{slug}/charts/btc_mined.csv",
}


def _grow(session: Session, company: Company, *, sites: int, months: int, others: int) -> None:
    """Give `company` this many sites and months (published), and add `others` companies alike."""
    companies = [company] + [
        Company(slug=f"other-{sites}-{i}", name=f"Other {sites}-{i}", ticker=None) for i in range(others)
    ]
    session.add_all(companies[1:])
    session.flush()
    periods = [add_months(START, i) for i in range(months)]
    for c in companies:
        existing = {s.slug for s in session.query(Site).filter(Site.company_id == c.id)}
        for n in range(sites):
            if f"site-{n}" not in existing:
                session.add(Site(company_id=c.id, slug=f"site-{n}", name=f"Site {n}", region="Texas"))
        session.flush()
        have = {(r.site_id, r.period) for r in session.query(SiteMonth.site_id, SiteMonth.period)}
        for site in session.query(Site).filter(Site.company_id == c.id):
            for i, period in enumerate(periods):
                if (site.id, period) not in have:
                    session.add(
                        SiteMonth(
                            site_id=site.id,
                            period=period,
                            btc_mined=Decimal(50 + i),
                            hashrate_avg_ehs=Decimal("2.5"),
                            hashrate_end_ehs=Decimal("2.6"),
                            fleet_efficiency_jth=Decimal("18.5"),
                            status=RecordStatus.published,
                            source_url="https://example.com/release",
                            # Per-figure provenance on some rows, so that path is exercised too.
                            figure_sources={"btc_mined": {"source_url": "https://example.com/q"}} if i % 6 else {},
                        )
                    )
        have_company = {r.period for r in session.query(CompanyMonth.period).filter(CompanyMonth.company_id == c.id)}
        for i, period in enumerate(periods):
            if period not in have_company:
                session.add(
                    CompanyMonth(
                        company_id=c.id,
                        period=period,
                        btc_mined_total=Decimal(500 + i),
                        btc_held_end=Decimal(1000 + i),
                        btc_sold=Decimal(10),
                        status=RecordStatus.published,
                    )
                )
        session.add(
            Event(
                date=add_months(START, months - 1), title=f"Event {months}", kind=EventKind.expansion, company_id=c.id
            )
        )
    have_network = {r.period for r in session.query(NetworkMonth.period)}
    session.add_all(
        NetworkMonth(period=p, network_hashrate_avg_ehs=Decimal(700)) for p in periods if p not in have_network
    )
    session.flush()
    # Announced as every writer does: pages kept for every worker (app.cache.page_store) are outdated by it.
    bump_data_revision(session=session)


def _counts(client: TestClient, count_queries: QueryCounter, slug: str, first: str, last: str) -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    for name, path in PATHS.items():
        url = path(slug, first, last)
        # Cold: nothing cached or indexed, as in a fresh worker.
        cache.clear()
        index.clear()
        before = count_queries.count
        cold = client.get(url)
        built = count_queries.count - before
        statements = count_queries.statements[before:]
        before = count_queries.count
        warm = client.get(url)
        cached = count_queries.count - before
        assert cold.status_code == warm.status_code == 200, (name, cold.status_code, cold.text[:300])
        out[name] = (built, cached, len(cold.content), statements)
    return out


@pytest.fixture
def company(db_session: Session) -> Company:
    company = Company(slug="counted", name="Counted Mining", ticker="CNT")
    db_session.add(company)
    get_data_revision(session=db_session)  # created on first use: not part of what is counted
    db_session.flush()
    return company


def test_same_number_of_queries_for_a_five_times_larger_dataset(
    client: TestClient, db_session: Session, count_queries: QueryCounter, company: Company
) -> None:
    _grow(db_session, company, sites=2, months=MONTHS, others=1)
    first, last = f"{START:%Y-%m}", f"{add_months(START, MONTHS - 1):%Y-%m}"
    small = _counts(client, count_queries, company.slug, first, last)

    # Five times the sites, five times the months, five times the companies.
    _grow(db_session, company, sites=10, months=5 * MONTHS, others=5)
    large = _counts(client, count_queries, company.slug, first, f"{add_months(START, 5 * MONTHS - 1):%Y-%m}")

    for name in PATHS:
        small_built, small_cached, small_bytes, _ = small[name]
        large_built, large_cached, large_bytes, large_sql = large[name]
        assert large_bytes > small_bytes, f"{name}: the larger dataset should give a larger answer"
        assert large_built == small_built, (
            f"{name}: {small_built} queries for the small dataset, {large_built} for 5x:\n" + "\n---\n".join(large_sql)
        )
        assert large_cached == small_cached, f"{name}: cached answer {small_cached} vs {large_cached} queries"
        assert large_built <= MAX_BUILD_QUERIES, f"{name}: {large_built} queries to build"
        assert large_cached <= MAX_CACHED_QUERIES, f"{name}: {large_cached} queries for a cached answer"
