"""Every investor page is built with the same number of queries however many months and sites it shows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.store.queries import get_data_revision
from tests.factories import make_company, make_company_month, make_event, make_network_month, make_site, make_site_month


def _build(session: Session, slug: str, months: int, sites: int) -> None:
    company = make_company(session, slug=slug)
    site_rows = [make_site(session, company, slug=f"{slug}-site-{i}") for i in range(sites)]
    for i in range(months):
        period = dt.date(2015 + i // 12, i % 12 + 1, 1)
        make_company_month(session, company, period=period, btc_mined_total=Decimal(i + 1))
        for site in site_rows:
            make_site_month(session, site, period=period)
        make_event(session, company_id=company.id, date=period, title=f"{slug} event {i}")


PAGES = (
    "/companies/{slug}",
    "/companies/{slug}?range=12m&site={slug}-site-0",
    # The views built on demand (nothing renders them when data is published): every month, a site filter.
    "/companies/{slug}?range=all",
    "/companies/{slug}?range=all&site={slug}-site-0",
    "/companies/{slug}/charts/btc_mined.csv",
    "/companies/{slug}/charts/btc_mined.csv?range=all",
    "/companies/{slug}/charts/treasury",
    "/companies/{slug}/charts/hashrate?range=all",
    "/companies/{slug}/sites/{slug}-site-0",
    "/companies/{slug}/sites/{slug}-site-0/charts/hashrate.csv",
    "/compare?company={slug}",
)


@pytest.mark.parametrize("path", PAGES)
def test_query_count_does_not_grow_with_months_or_sites(
    path: str, client: TestClient, db_session: Session, count_queries
) -> None:
    for i in range(96):
        make_network_month(
            db_session, period=dt.date(2015 + i // 12, i % 12 + 1, 1), network_hashrate_avg_ehs=Decimal(100 + i)
        )
    # First the months grow (2 -> 96, one site), then the sites (1 -> 12, 96 months).
    _build(db_session, "small", 2, 1)
    _build(db_session, "long", 96, 1)
    _build(db_session, "large", 96, 12)
    get_data_revision(session=db_session)  # created on first use: not part of any page's cost
    counts = {}
    statements = {}
    for slug in ("small", "long", "large"):
        url = path.format(slug=slug)
        count_queries.statements.clear()
        assert client.get(url).status_code == 200
        counts[slug] = count_queries.count
        statements[slug] = list(count_queries.statements)
    assert counts["small"] == counts["long"] == counts["large"], (counts, statements["large"])
    # company, sites, bounds, rows, network, events, releases, revision, the figures' published history…
    assert counts["large"] <= 11


def test_a_304_costs_one_query(client: TestClient, db_session: Session, count_queries) -> None:
    _build(db_session, "cached", 24, 3)
    etag = client.get("/companies/cached").headers["etag"]
    count_queries.statements.clear()
    assert client.get("/companies/cached", headers={"If-None-Match": etag}).status_code == 304
    assert count_queries.count == 1, count_queries.statements  # the data revision, read by the fast path
