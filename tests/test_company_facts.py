"""The overview's one statement for a company's summary, its sites' spans and its releases gives what the three
queries it replaces give, drafts or not, on either database; so does the series loads' one for sites and spans."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from app.store.models import RecordStatus
from app.store.queries import list_sites, load_company_series, reported_spans
from app.store.queries.company_facts import FACTS, company_facts
from app.store.queries.dashboard import company_data_summary
from app.store.queries.releases import list_releases
from app.store.queries.site_spans import sites_with_spans
from tests.conftest import QueryCounter
from tests.factories import make_company, make_company_month, make_site, make_site_month

PUBLISHED = dt.datetime(2025, 2, 3, 10, 0, tzinfo=dt.UTC)


def _at(days: int) -> dt.datetime:
    return PUBLISHED + dt.timedelta(days=days)


def _expected(company_id: int, db_session: Session, published_only: bool) -> tuple[object, ...]:
    sites = list_sites(company_id, session=db_session)
    return (
        company_data_summary(company_id, session=db_session, published_only=published_only),
        reported_spans([s.id for s in sites], session=db_session, published_only=published_only),
        list_releases(company_id, session=db_session, published_only=published_only),
    )


def _facts(company_id: int, db_session: Session, published_only: bool) -> tuple[object, ...]:
    sites = list_sites(company_id, session=db_session)
    facts = company_facts(company_id, sites, session=db_session, published_only=published_only)
    return facts.summary, facts.spans, facts.releases


@pytest.mark.parametrize("published_only", [True, False])
def test_the_facts_are_what_the_three_queries_give(db_session: Session, published_only: bool) -> None:
    company = make_company(db_session, slug="facts")
    north = make_site(db_session, company, slug="north")
    south = make_site(db_session, company, slug="south")
    make_site(db_session, company, slug="idle")  # no months at all: no span
    other = make_company(db_session, slug="other")  # another company's rows stay out
    make_site_month(db_session, make_site(db_session, other, slug="far"), period=dt.date(2020, 1, 1))
    make_company_month(db_session, other, period=dt.date(2030, 1, 1))
    # The company's own months, one corrected with a reason; site months before and after them.
    make_company_month(db_session, company, period=dt.date(2025, 1, 1), published_at=_at(0))
    make_company_month(
        db_session,
        company,
        period=dt.date(2025, 2, 1),
        published_at=_at(30),
        revised_at=_at(40),
        revision_reason="Typo",
        source_url="https://example.com/feb",
    )
    make_site_month(db_session, north, period=dt.date(2024, 12, 1), published_at=_at(-20))
    make_site_month(db_session, north, period=dt.date(2025, 1, 1), published_at=_at(1), revised_at=_at(50))
    make_site_month(db_session, south, period=dt.date(2025, 1, 1), published_at=_at(-1))
    # Drafts: a later month, in the preview only.
    make_site_month(
        db_session,
        south,
        period=dt.date(2025, 3, 1),
        status=RecordStatus.draft,
        btc_mined=Decimal(3),
        published_at=None,
    )
    make_company_month(db_session, company, period=dt.date(2025, 4, 1), status=RecordStatus.draft, published_at=None)
    db_session.flush()

    expected = _expected(company.id, db_session, published_only)
    assert _facts(company.id, db_session, published_only) == expected
    # Without the releases (a chart's table or CSV), the same summary and spans from fewer rows.
    sites = list_sites(company.id, session=db_session)
    # The series loads' sites with their spans, in one statement.
    assert sites_with_spans(company.id, session=db_session, published_only=published_only) == (list(sites), expected[1])
    bare = company_facts(company.id, sites, session=db_session, published_only=published_only, with_releases=False)
    assert (bare.summary, bare.spans, bare.releases) == (*expected[:2], None)
    summary, spans, releases = expected
    assert summary.last == (dt.date(2025, 2, 1) if published_only else dt.date(2025, 4, 1))  # type: ignore[attr-defined]
    assert spans[north.id] == (dt.date(2024, 12, 1), dt.date(2025, 1, 1))  # type: ignore[index]
    assert len(releases) == (3 if published_only else 5)  # type: ignore[arg-type]


def test_a_company_without_sites_or_months(db_session: Session) -> None:
    bare = make_company(db_session, slug="bare")
    db_session.flush()
    assert _facts(bare.id, db_session, True) == _expected(bare.id, db_session, True)
    empty = company_facts(bare.id, [], session=db_session, with_releases=False)
    assert (empty.summary, empty.spans, empty.releases) == (*_expected(bare.id, db_session, True)[:2], None)
    only_company = make_company(db_session, slug="only-company")
    make_company_month(db_session, only_company, period=dt.date(2025, 1, 1), published_at=_at(0))
    db_session.flush()
    facts = _facts(only_company.id, db_session, True)
    assert facts == _expected(only_company.id, db_session, True)
    assert facts[0].changed_at == _at(0)  # type: ignore[attr-defined]


@pytest.mark.parametrize("published_only", [True, False])
def test_kept_facts_follow_every_kind_of_write_and_read_only_the_months_written(
    db_session: Session, count_queries: QueryCounter, published_only: bool
) -> None:
    company = make_company(db_session, slug="kept")
    north = make_site(db_session, company, slug="north")
    south = make_site(db_session, company, slug="south")
    jan, feb, mar, apr = (dt.date(2025, m, 1) for m in (1, 2, 3, 4))
    make_company_month(db_session, company, period=jan, published_at=_at(0))
    dropped = make_company_month(db_session, company, period=feb, published_at=_at(30))
    make_site_month(db_session, north, period=jan, published_at=_at(1))
    corrected = make_site_month(db_session, south, period=feb, published_at=_at(29))
    draft = make_site_month(db_session, north, period=mar, status=RecordStatus.draft, published_at=None)
    db_session.flush()
    assert _facts(company.id, db_session, published_only) == _expected(company.id, db_session, published_only)

    # Nothing written since: the stamps alone are read.
    count_queries.statements.clear()
    _facts(company.id, db_session, published_only)
    assert len(count_queries.statements) == 2  # list_sites, then the stamps

    # A correction, a publication, a deleted row and a new month: each month's facts follow its own write.
    corrected.revised_at, corrected.revision_reason, corrected.btc_mined = _at(60), "Typo", Decimal(7)
    draft.status, draft.published_at = RecordStatus.published, _at(61)
    db_session.delete(dropped)
    make_site_month(db_session, south, period=apr, status=RecordStatus.draft, published_at=None)
    db_session.flush()
    count_queries.statements.clear()
    kept = _facts(company.id, db_session, published_only)
    reads = [s for s in count_queries.statements if "site_month" in s]
    assert len(reads) == 1 and "site_month.period IN" in reads[0]  # the written months only
    assert kept == _expected(company.id, db_session, published_only)
    FACTS.clear()
    assert _facts(company.id, db_session, published_only) == kept  # as read from nothing
    summary = kept[0]
    assert summary.last == (apr if not published_only else mar)  # type: ignore[attr-defined]


def test_the_series_reuses_the_stamps_the_facts_were_read_under(
    db_session: Session, count_queries: QueryCounter
) -> None:
    company = make_company(db_session, slug="shared")
    north = make_site(db_session, company, slug="north")
    for month in (1, 2, 3):
        make_site_month(db_session, north, period=dt.date(2025, month, 1), published_at=_at(month))
    db_session.flush()
    sites = list_sites(company.id, session=db_session)
    facts = company_facts(company.id, sites, session=db_session)
    assert facts.stamps is not None and set(facts.stamps.company) == {dt.date(2025, m, 1) for m in (1, 2, 3)}
    count_queries.statements.clear()
    _, views = load_company_series(
        company,
        session=db_session,
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 3, 1),
        sites=sites,
        spans=facts.spans,
        stamps=facts.stamps,
    )
    assert [v.period for v in views] == [dt.date(2025, m, 1) for m in (1, 2, 3)]
    assert not [s for s in count_queries.statements if "month_stamp" in s]
    # Kept under the same keys as a series that reads its own stamps: the second finds every month kept.
    count_queries.statements.clear()
    _, again = load_company_series(
        company, session=db_session, start=dt.date(2025, 1, 1), end=dt.date(2025, 3, 1), sites=sites, spans=facts.spans
    )
    assert again == views and [s for s in count_queries.statements if "month_stamp" in s]
    assert not [s for s in count_queries.statements if "FROM site_month" in s]
