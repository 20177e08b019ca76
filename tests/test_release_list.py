"""list_releases and the data summaries: a company's months from its own rows and its sites' rows together."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from app.domain.release import ReleaseInfo
from app.store.models import RecordStatus
from app.store.queries.dashboard import DataSummary, company_data_summaries, company_data_summary
from app.store.queries.releases import list_releases
from tests.factories import make_company, make_company_month, make_site, make_site_month

JAN, FEB, MAR, APR = (dt.date(2025, m, 1) for m in (1, 2, 3, 4))


def _at(day: int) -> dt.datetime:
    return dt.datetime(2025, 5, day, tzinfo=dt.UTC)


def test_company_and_site_rows_make_one_release_per_month(db_session: Session) -> None:
    company = make_company(db_session, slug="rel")
    north, south = make_site(db_session, company, slug="north"), make_site(db_session, company, slug="south")
    other = make_site(db_session, make_company(db_session, slug="other"), slug="elsewhere")
    url = "https://example.com/jan"
    # January: the company's row, corrected on the 5th; a site's row corrected later, on the 9th, wins.
    make_company_month(
        db_session, company, period=JAN, published_at=_at(1), revised_at=_at(5), revision_reason="typo", source_url=url
    )
    make_site_month(db_session, north, period=JAN, published_at=_at(2), revised_at=_at(9))
    # February: sites only, the earliest publication and the latest correction of the two.
    make_site_month(db_session, north, period=FEB, published_at=_at(3), revised_at=_at(4))
    make_site_month(db_session, south, period=FEB, published_at=_at(2), revised_at=_at(6))
    # March: the company's correction is later than its site's, so its reason stays.
    make_company_month(db_session, company, period=MAR, published_at=_at(3), revised_at=_at(8), revision_reason="why")
    make_site_month(db_session, south, period=MAR, published_at=_at(1), revised_at=_at(7))
    # April: a draft only, and another company's site.
    make_site_month(db_session, south, period=APR, status=RecordStatus.draft)
    make_site_month(db_session, other, period=APR, published_at=_at(1))

    assert list_releases(company.id, session=db_session) == [
        ReleaseInfo(JAN, _at(1), _at(9), None, url),
        ReleaseInfo(FEB, _at(2), _at(6), None, None),
        ReleaseInfo(MAR, _at(1), _at(8), "why", None),
    ]
    with_drafts = list_releases(company.id, session=db_session, published_only=False)
    assert [r.period for r in with_drafts] == [JAN, FEB, MAR, APR]
    assert with_drafts[-1] == ReleaseInfo(APR, None, None, None, None)


def test_a_company_without_sites_has_its_own_rows_only(db_session: Session) -> None:
    company = make_company(db_session, slug="nosites")
    make_company_month(db_session, company, period=FEB, published_at=_at(2))
    make_site_month(db_session, make_site(db_session, make_company(db_session, slug="x"), slug="s"), period=JAN)
    assert list_releases(company.id, session=db_session) == [ReleaseInfo(FEB, _at(2), None, None, None)]


def test_data_summaries_of_several_companies_read_company_and_site_rows(db_session: Session) -> None:
    both, sites_only, company_only = (make_company(db_session, slug=s) for s in ("both", "sitesonly", "companyonly"))
    make_company_month(db_session, both, period=FEB, published_at=_at(2), revised_at=_at(6))
    make_site_month(db_session, make_site(db_session, both, slug="b1"), period=JAN, published_at=_at(3))
    site = make_site(db_session, sites_only, slug="s1")
    make_site_month(db_session, site, period=MAR, published_at=_at(4))
    make_site_month(db_session, site, period=APR, status=RecordStatus.draft)
    make_company_month(db_session, company_only, period=APR, published_at=_at(1))
    ids = [both.id, sites_only.id, company_only.id, 999_999]

    found = company_data_summaries(ids, session=db_session)
    assert found == {
        both.id: DataSummary(JAN, FEB, _at(6)),
        sites_only.id: DataSummary(MAR, MAR, _at(4)),
        company_only.id: DataSummary(APR, APR, _at(1)),
    }
    # With drafts: the draft's month, and its last edit as "as of" (its updated_at, set when written).
    drafts = company_data_summaries(ids, session=db_session, published_only=False)[sites_only.id]
    assert (drafts.first, drafts.last) == (MAR, APR) and drafts.changed_at is not None
    assert company_data_summary(999_999, session=db_session) == DataSummary(None, None, None)
