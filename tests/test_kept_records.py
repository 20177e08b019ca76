"""The monthly API built from kept month views: after a correction it builds only the records and JSON rows of
the months the correction reaches, and answers byte for byte what a build from nothing answers."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.api import records, series
from app.cache.responses import cache, index
from app.domain.month_views import month_changes, months_before, with_changes
from app.domain.reports import add_months, build_company_series, month_range
from app.store.models import Company, CompanyMonth, Site, SiteMonth
from app.store.queries import MONTH_VIEWS, bump_data_revision
from tests.factories import make_company, make_company_month, make_site, make_site_month

START = dt.date(2022, 1, 1)
MONTHS = month_range(START, dt.date(2024, 12, 1))


def _company(db_session: Session) -> tuple[Company, list[Site]]:
    company = make_company(db_session, slug="api-kept")
    sites = [make_site(db_session, company, slug=slug, name=slug.title()) for slug in ("north", "south")]
    for i, period in enumerate(MONTHS):
        make_company_month(db_session, company, period=period, btc_mined_total=None, btc_held_end=Decimal(1000 + 3 * i))
        for j, site in enumerate(sites):
            # South skips every fifth month: partial sums, and changes that are not comparable.
            if j == 1 and i % 5 == 0:
                continue
            make_site_month(db_session, site, period=period, btc_mined=Decimal(50 + i + j), hashrate_avg_ehs=Decimal(i))
    db_session.commit()
    return company, sites


def _forget_everything() -> None:
    MONTH_VIEWS.clear()
    records._RECORDS.clear()
    series._WIDE_TEXTS.clear()
    series._CSV_LINES.clear()
    cache.clear()
    index.clear()


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?provenance=true",
        "?changes=flat",
        "?metrics=btc_held_end,treasury_residual_btc",
        "?format=csv",
        "?format=csv&changes=flat&provenance=true",
    ],
)
def test_an_answer_after_a_correction_is_the_answer_built_from_nothing(
    db_session: Session, client: TestClient, query: str
) -> None:
    company, _ = _company(db_session)
    path = f"/api/v1/companies/{company.slug}/monthly{query}"
    first = client.get(path)
    assert first.status_code == 200
    built = len(records._RECORDS)

    # A correction of one month's holdings, published.
    month = MONTHS[17]
    row = db_session.query(CompanyMonth).filter_by(company_id=company.id, period=month).one()
    row.btc_held_end = Decimal("2024.5")
    bump_data_revision(session=db_session, companies=[company.id])
    db_session.commit()

    after = client.get(path)
    assert after.status_code == 200 and after.content != first.content
    if "changes" in query or "format" not in query:  # a plain CSV states no changes
        # The changed month, the next (its treasury residual), and the months whose change reads either.
        assert len(records._RECORDS) - built <= 2 + 2 + 2
    _forget_everything()
    fresh = client.get(path)
    assert after.content == fresh.content


def test_a_site_figure_corrected_changes_the_sums_and_their_changes(db_session: Session, client: TestClient) -> None:
    company, sites = _company(db_session)
    path = f"/api/v1/companies/{company.slug}/monthly?changes=flat"
    client.get(path)
    row = db_session.query(SiteMonth).filter_by(site_id=sites[0].id, period=MONTHS[31]).one()
    row.btc_mined = Decimal("999")
    bump_data_revision(session=db_session, companies=[company.id])
    db_session.commit()
    after = client.get(path).json()["data"]
    by_period = {r["period"]: r for r in after}
    assert Decimal(str(by_period["2024-08"]["btc_mined"])) == Decimal("999") + 50 + 31 + 1
    # The month after changes against the corrected sum: (82 + 83) against (999 + 82).
    expected = (Decimal(82 + 83) - Decimal(999 + 82)) / Decimal(999 + 82) * 100
    assert abs(Decimal(str(by_period["2024-09"]["btc_mined_mom_pct"])) - expected) < Decimal("1e-6")
    _forget_everything()
    assert client.get(path).json()["data"] == after


def test_month_changes_is_with_changes_month_by_month() -> None:
    # One rule for a change, whether an answer reads one month (the API) or one metric (pages).
    rng = random.Random(20261203)
    sites = [Site(id=i, slug=f"s{i}", name=f"S{i}", status="operating", energized_on=START) for i in (1, 2, 3)]
    rows = [
        SiteMonth(
            site_id=site.id,
            period=period,
            status="published",
            is_illustrative=False,
            is_estimate=False,
            figure_sources={},
            btc_mined=Decimal(rng.randint(0, 90)) if rng.random() > 0.05 else None,
            hashrate_avg_ehs=Decimal(rng.randint(0, 9)) if rng.random() > 0.05 else None,
        )
        for period in MONTHS
        for site in sites
        if rng.random() > 0.04
    ]
    views = build_company_series(
        sites=sites, company_months=[], site_months=rows, network_months=[], start=MONTHS[0], end=MONTHS[-1]
    )
    by_period = {v.period: v for v in views}
    names = ("btc_mined", "hashrate_avg_ehs", "yield_btc_per_ehs", "btc_held_end")
    per_metric = {n: with_changes(views, n) for n in names}
    compared = 0
    for view in views:
        month_before, year_before = months_before(view.period)
        found = month_changes(view, by_period.get(month_before), by_period.get(year_before), names)
        assert found == {n: per_metric[n][view.period] for n in names}
        compared += sum(c is not None for n in names for c in found[n])
    assert compared > 40  # enough real changes, not only gaps
    assert months_before(MONTHS[12]) == (add_months(MONTHS[12], -1), MONTHS[0])


def test_one_set_of_kept_records_serves_every_layout(db_session: Session, client: TestClient) -> None:
    company, _ = _company(db_session)
    base = f"/api/v1/companies/{company.slug}/monthly"
    queries_ = ["?format=csv", "?format=csv&provenance=true", "?format=csv&header=units", "", "?provenance=true"]
    answers = {q: client.get(base + q).content for q in queries_}
    assert len(set(answers.values())) == len(queries_)
    again = {q: client.get(base + q).content for q in reversed(queries_)}
    assert again == answers
    for query in queries_:
        _forget_everything()
        assert client.get(base + query).content == answers[query], query
