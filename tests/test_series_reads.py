"""Store reads of the series beside its rows: releases, data summaries, the history the provenance uses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.domain.figure_sources import FigureSource
from app.domain.provenance import apply_history
from app.domain.release import ReleaseInfo
from app.domain.reports import MonthView, SiteFigures, build_company_series
from app.store.models import FigureRevision, RecordStatus
from app.store.queries.dashboard import DataSummary, company_data_summaries, company_data_summary
from app.store.queries.figure_history import list_histories, list_history
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


def _entry(company_id: int, kind: str, entity_id: int, metric: str, day: int, **extra: Any) -> FigureRevision:
    return FigureRevision(
        company_id=company_id,
        entity_kind=kind,
        entity_id=entity_id,
        period=JAN,
        metric=metric,
        value=Decimal(day),
        published_at=_at(day),
        recorded_at=_at(day),
        actor_role="editor",
        **extra,
    )


def test_the_history_for_provenance_leaves_out_only_what_gives_no_title_and_no_correction(db_session: Session) -> None:
    company = make_company(db_session, slug="hist")
    north, south = make_site(db_session, company, slug="north"), make_site(db_session, company, slug="south")
    db_session.add_all(
        [
            _entry(company.id, "site", north.id, "btc_mined", 1),  # published once, no title: nothing to show
            _entry(company.id, "site", north.id, "hashrate_avg_ehs", 2, source_title="Update"),
            _entry(company.id, "site", south.id, "btc_mined", 3, superseded_at=_at(5)),
            _entry(company.id, "site", south.id, "btc_mined", 5, reason="restated"),
            _entry(company.id, "company", company.id, "btc_held_end", 4),
            # Published once and withdrawn: kept (its entry is closed), and it changes nothing either.
            _entry(company.id, "site", north.id, "miners_deployed", 6, superseded_at=_at(7)),
        ]
    )
    db_session.flush()
    every = list_history(company.id, session=db_session)
    used = list_history(company.id, session=db_session, for_provenance=True)
    assert [(e.site, e.metric, e.published_at.day) for e in every] == [
        ("north", "btc_mined", 1),
        ("north", "hashrate_avg_ehs", 2),
        ("south", "btc_mined", 3),
        (None, "btc_held_end", 4),
        ("south", "btc_mined", 5),
        ("north", "miners_deployed", 6),
    ]
    assert used == [e for e in every if (e.site, e.metric) != ("north", "btc_mined")]

    # What the pages show is the same either way.
    def views() -> list[MonthView]:
        return build_company_series(
            sites=[north, south], company_months=[], site_months=[], network_months=[], start=JAN, end=JAN
        )

    with_every, with_used = views(), views()
    for view in (*with_every, *with_used):
        view.sites["north"] = SiteFigures(
            "north", {}, {"btc_mined": FigureSource("u", False), "miners_deployed": FigureSource("u", False)}, False
        )
        view.sources["btc_mined"] = FigureSource("u", False)
    apply_history(with_every, every)
    apply_history(with_used, used)
    assert with_every == with_used
    assert with_used[0].sources["btc_mined"].revisions == ()


def test_the_history_for_provenance_keeps_to_its_companies_and_months(db_session: Session) -> None:
    """Each kind of entry it keeps (the company's own, a titled one, a corrected figure's), asked for one month of
    one company, beside the same kinds in another month and in another company."""
    mine, theirs = make_company(db_session, slug="mine"), make_company(db_session, slug="theirs")
    my_site, their_site = make_site(db_session, mine, slug="a"), make_site(db_session, theirs, slug="b")
    for company, site in ((mine, my_site), (theirs, their_site)):
        for period in (JAN, FEB):
            kept = [
                _entry(company.id, "company", company.id, "btc_held_end", 1),
                _entry(company.id, "site", site.id, "hashrate_avg_ehs", 2, source_title="Update"),
                _entry(company.id, "site", site.id, "btc_mined", 3, superseded_at=_at(4)),
                _entry(company.id, "site", site.id, "btc_mined", 4),
            ]
            for entry in kept:
                entry.period = period
            db_session.add_all(kept)
    db_session.flush()

    found = list_histories([mine.id], session=db_session, start=FEB, end=FEB, for_provenance=True)
    assert list(found) == [mine.id]
    assert [(e.site, e.period, e.metric, e.published_at.day) for e in found[mine.id]] == [
        (None, FEB, "btc_held_end", 1),
        ("a", FEB, "hashrate_avg_ehs", 2),
        ("a", FEB, "btc_mined", 3),
        ("a", FEB, "btc_mined", 4),
    ]
    # One site's: the site page's read.
    one_site = list_history(mine.id, session=db_session, site_id=my_site.id, for_provenance=True)
    assert {(e.site, e.period) for e in one_site} == {("a", JAN), ("a", FEB)} and len(one_site) == 6
