"""Month views kept between builds: a build after a change assembles only the months whose inputs changed,
and gives exactly what a build from nothing gives."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cache.responses import cache, index
from app.domain.charts import points
from app.domain.charts.kept import KEPT_CHARTS
from app.domain.month_memo import MonthMemo
from app.domain.month_views import SITE_VIEWS
from app.domain.reports import MonthView, add_months, month_range
from app.lru import clear_all
from app.store import queries
from app.store.models import Company, FigureRevision, NetworkMonth, Site
from app.store.queries import MONTH_VIEWS, bump_data_revision, load_company_series, load_site_series
from app.web.dashboard import QUARTERS
from app.web.page_helpers import HISTORY_MONTHS
from tests.factories import make_company, make_company_month, make_site, make_site_month

START = dt.date(2024, 1, 1)
MONTHS = month_range(START, dt.date(2024, 12, 1))


def _company(db_session: Session) -> tuple[Company, list[Site]]:
    company = make_company(db_session, slug="kept")
    sites = [make_site(db_session, company, slug=slug, name=slug.title()) for slug in ("north", "south")]
    for i, period in enumerate(MONTHS):
        make_company_month(db_session, company, period=period, btc_held_end=Decimal(1000 + i))
        for site in sites:
            make_site_month(db_session, site, period=period, btc_mined=Decimal(50 + i))
    db_session.add(NetworkMonth(period=MONTHS[3], version=1, updated_by="test", network_difficulty_avg_t=Decimal("81")))
    db_session.flush()
    return company, sites


def _load(db_session: Session, company: Company) -> list[MonthView]:
    return load_company_series(company, session=db_session, start=MONTHS[0], end=MONTHS[-1])[1]


def _from_nothing(db_session: Session, company: Company) -> list[MonthView]:
    with pytest.MonkeyPatch.context() as patch:  # an empty memo in place of the kept views
        empty = MonthMemo(MONTH_VIEWS.capacity)
        patch.setattr(queries, "MONTH_VIEWS", empty)
        views = _load(db_session, company)
        assert empty.misses == len(views) and empty.hits == 0  # every month built, none taken
        return views


def _rebuilt(before: list[MonthView], after: list[MonthView]) -> list[dt.date]:
    return [a.period for b, a in zip(before, after, strict=True) if a is not b]


def test_an_unchanged_series_is_taken_whole_from_the_kept_views(db_session: Session) -> None:
    company, _ = _company(db_session)
    first = _load(db_session, company)
    assert len(MONTH_VIEWS) == len(MONTHS)
    again = _load(db_session, company)
    assert _rebuilt(first, again) == []
    assert repr(again) == repr(_from_nothing(db_session, company))


@pytest.mark.parametrize(
    ("change", "months"),
    [
        # A site's figure: its month, and the next one, whose key holds this month's stamp for its holdings.
        ("site", [MONTHS[5], MONTHS[6]]),
        # The company's holdings: its month, and the next one's treasury residual.
        ("holdings", [MONTHS[5], MONTHS[6]]),
        # A network figure: its month only.
        ("network", [MONTHS[3]]),
        # Per-figure provenance, stored as JSON: its month (and the next, as above).
        ("provenance", [MONTHS[5], MONTHS[6]]),
        # A published history entry (a title, a correction): its month (and the next, as above).
        ("history", [MONTHS[5], MONTHS[6]]),
        # A site renamed: every month, since a coverage names the sites.
        ("rename", MONTHS),
    ],
)
def test_a_change_rebuilds_the_months_it_touches_and_no_others(
    db_session: Session, change: str, months: list[dt.date]
) -> None:
    company, sites = _company(db_session)
    before = _load(db_session, company)
    month = MONTHS[5]
    if change == "site":
        row = next(r for r in queries.list_site_months(company.id, session=db_session) if r.period == month)
        row.btc_mined = Decimal("77.25")
    elif change == "holdings":
        row_c = next(r for r in queries.list_company_months(company.id, session=db_session) if r.period == month)
        row_c.btc_held_end = Decimal("4321")
    elif change == "network":
        network = db_session.scalars(select(NetworkMonth).where(NetworkMonth.period == MONTHS[3])).one()
        network.network_difficulty_avg_t = Decimal("95")
    elif change == "provenance":
        row_c = next(r for r in queries.list_company_months(company.id, session=db_session) if r.period == month)
        row_c.figure_sources = {"btc_held_end": {"source_url": "https://example.com/holdings", "title": "Holdings"}}
    elif change == "history":
        db_session.add(
            FigureRevision(
                company_id=company.id,
                entity_kind="company",
                entity_id=company.id,
                period=month,
                metric="btc_held_end",
                value=Decimal("1005"),
                source_title="The May release",
                published_at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC),
                actor_role="editor",
            )
        )
    else:
        sites[0].name = "Northern"
    db_session.flush()

    after = _load(db_session, company)
    assert _rebuilt(before, after) == months
    # What the kept views and the rebuilt months make is what a build from nothing makes.
    fresh = _from_nothing(db_session, company)
    assert after == fresh and repr(after) == repr(fresh)  # repr: a coverage's site names are not part of its ==
    assert repr(after) != repr(before)


def test_a_site_page_keeps_its_own_months_beside_the_company_s(db_session: Session) -> None:
    company, sites = _company(db_session)
    _load(db_session, company)
    first = load_site_series(sites[0], session=db_session, start=MONTHS[0], end=MONTHS[-1])
    again = load_site_series(sites[0], session=db_session, start=MONTHS[0], end=MONTHS[-1])
    assert first == again
    assert [v.values["btc_mined"] for v in again] == [Decimal(50 + i) for i in range(len(MONTHS))]
    assert MONTH_VIEWS.hits >= len(MONTHS)


def test_drafts_and_published_figures_of_one_month_are_kept_apart(db_session: Session) -> None:
    company, sites = _company(db_session)
    later = add_months(MONTHS[-1], 1)
    make_site_month(db_session, sites[0], period=later, btc_mined=Decimal(9), status="draft")
    published = load_company_series(company, session=db_session, start=later, end=later)[1]
    drafts = load_company_series(company, session=db_session, start=later, end=later, published_only=False)[1]
    assert published[0].values["btc_mined"] is None
    assert drafts[0].values["btc_mined"] == Decimal(9)
    # Both stay kept: reading one again does not rebuild it.
    assert load_company_series(company, session=db_session, start=later, end=later)[1][0] is published[0]


def test_the_memo_forgets_the_least_recently_used_months_past_its_capacity() -> None:
    memo = MonthMemo(capacity=2)
    context = memo.context(((), ()))
    views = [MonthView(period=p, values={}) for p in MONTHS[:3]]
    for view in views[:2]:
        memo.put(context, view.period, ("rows",), view)
    assert memo.get(context, MONTHS[0], ("rows",)) is views[0]  # now the most recently used
    memo.put(context, MONTHS[2], ("rows",), views[2])
    assert memo.get(context, MONTHS[1], ("rows",)) is None
    assert memo.get(context, MONTHS[0], ("rows",)) is views[0]
    assert memo.get(context, MONTHS[2], ("other rows",)) is None
    assert memo.context(((), ())) is context


def test_no_page_or_answer_changes_a_kept_view(
    db_session: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Kept views are shared by every reader of the process: a page that changed one would change the next
    # reader's figures. Each view is copied as it is kept, and compared with its copy once every reader ran.
    company, sites = _company(db_session)
    db_session.commit()
    kept: list[tuple[MonthView, MonthView]] = []
    put = MONTH_VIEWS.put

    def keep(context: Any, period: dt.date, inputs: tuple[Any, ...], view: MonthView) -> None:
        kept.append((view, copy.deepcopy(view)))
        put(context, period, inputs, view)

    monkeypatch.setattr(MONTH_VIEWS, "put", keep)
    paths = [
        f"/companies/{company.slug}?range=all",
        f"/companies/{company.slug}?site={sites[0].slug}",
        f"/companies/{company.slug}/sites/{sites[0].slug}",
        f"/companies/{company.slug}/charts/btc_mined",
        f"/companies/{company.slug}/charts/btc_mined.csv",
        f"/api/v1/companies/{company.slug}/monthly?provenance=true",
        f"/api/v1/companies/{company.slug}/monthly?format=csv&shape=long",
        f"/api/v1/companies/{company.slug}/sites/{sites[0].slug}/monthly",
        f"/api/v1/companies/{company.slug}/quarterly",
    ]
    for path in paths:
        assert client.get(path).status_code == 200, path
    # One site's months, made from kept views and kept beside them: built once, read by the second round. The site
    # page makes them from its own series, the site filter's release cards from the company's.
    site_views = [(view, copy.deepcopy(view)) for view in SITE_VIEWS.values()]
    assert len(site_views) == 2 * (len(MONTHS) + HISTORY_MONTHS)
    quarters = [(quarter, copy.deepcopy(quarter)) for quarter in QUARTERS.values()]
    assert len(quarters) == (len(MONTHS) + HISTORY_MONTHS) // 3  # with the year before the range
    # Finished charts, kept whole: the pages' JSON and tables are written from them again.
    finished = [(chart, repr(chart)) for chart in KEPT_CHARTS.charts()]
    assert len(finished) >= 9
    cache.clear()
    index.clear()
    for path in paths:
        assert client.get(path).status_code == 200, path
    assert len(kept) >= 2 * len(MONTHS)  # the company's months and the site page's
    assert MONTH_VIEWS.hits > 0
    changed = [view.period for view, copied in kept + site_views if repr(view) != repr(copied)]
    assert changed == []
    assert [q.label for q, copied in quarters if repr(q) != repr(copied)] == []
    assert [chart.key for chart, copied in finished if repr(chart) != copied] == []


@pytest.mark.parametrize("page", ["site page", "overview"])
def test_a_page_after_a_correction_is_what_a_process_that_kept_nothing_serves(
    db_session: Session, client: TestClient, page: str
) -> None:
    company, sites = _company(db_session)
    path = {
        "site page": f"/companies/{company.slug}/sites/{sites[0].slug}",
        "overview": f"/companies/{company.slug}?range=all&quarters=calendar",
    }[page]
    before = client.get(path).text
    # March: a site's figure (the site page's table) and the company's holdings (the overview's quarter table).
    row = next(
        r
        for r in queries.list_site_months(company.id, session=db_session)
        if r.site_id == sites[0].id and r.period == MONTHS[2]
    )
    row.btc_mined = Decimal("987.65")
    held = next(r for r in queries.list_company_months(company.id, session=db_session) if r.period == MONTHS[2])
    held.btc_held_end = Decimal("987.65")
    bump_data_revision(session=db_session, companies=[company.id])
    db_session.flush()
    after = client.get(path).text
    assert "987.65" in after and after != before
    # Nothing kept: every month, site view, point, chart, row, card and quarter built again.
    clear_all()
    cache.clear()
    assert client.get(path).text == after


def test_only_pages_of_kept_views_keep_their_points(db_session: Session, client: TestClient) -> None:
    # The compare page builds its views for one request: holding their points would hold the views (megabytes per
    # page) until evicted. The overview's views are the memo's.
    company, _ = _company(db_session)
    assert client.get(f"/compare?company={company.slug}").status_code == 200
    assert len(points.KEPT_POINTS) == 0
    assert client.get(f"/companies/{company.slug}?range=all").status_code == 200
    assert len(points.KEPT_POINTS) > 0
