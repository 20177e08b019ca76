"""Month stamps: the database's triggers move a month's stamp on every write to what the month's view reads, whoever
writes, so a kept view is never served after its rows changed (app.store.models.stamps)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.domain.enums import EventKind
from app.domain.month_memo import MonthMemo
from app.store import queries
from app.store.models import Company, Event, MonthStamp, NetworkMonth, Site
from app.store.models.stamps import NETWORK, STRUCTURE
from app.store.queries import MONTH_VIEWS, load_company_series, load_site_series
from tests.factories import make_company, make_company_month, make_site, make_site_month

MONTHS = [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)]
JAN, FEB, MAR = MONTHS
APR = dt.date(2024, 4, 1)

Stamps = dict[tuple[int, dt.date], int]


def _stamps(session: Session) -> Stamps:
    session.flush()
    return {(s.company_id, s.period): s.stamp for s in session.scalars(select(MonthStamp))}


def _moved(before: Stamps, after: Stamps) -> set[tuple[int, dt.date]]:
    return {key for key, stamp in after.items() if before.get(key) != stamp} | (before.keys() - after.keys())


@pytest.fixture
def two_companies(db_session: Session) -> tuple[Company, list[Site], Company, Site]:
    """A: two sites and its own rows for January to March; B: one site, January to March; the network's three
    months."""
    a, b = make_company(db_session, slug="a"), make_company(db_session, slug="b")
    a_sites = [make_site(db_session, a, slug=slug) for slug in ("north", "south")]
    b_site = make_site(db_session, b, slug="west")
    for period in MONTHS:
        make_company_month(db_session, a, period=period)
        for site in (*a_sites, b_site):
            make_site_month(db_session, site, period=period)
        db_session.add(NetworkMonth(period=period, version=1, updated_by="test"))
    db_session.add(Event(date=dt.date(2024, 4, 20), title="Halving", kind=EventKind.halving))
    db_session.flush()
    return a, a_sites, b, b_site


WRITES = {
    # name: (statement, its parameters' names in the fixture, the months whose stamps move: (company, period))
    "a site month written": (
        "INSERT INTO site_month (site_id, period, status, version, is_estimate, is_illustrative, figure_sources,"
        " created_at, updated_at) VALUES (:north, '2024-04-01', 'published', 1, false, false, '{}',"
        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        {("a", APR)},
    ),
    "a site month changed": (
        "UPDATE site_month SET btc_mined = 7 WHERE site_id = :north AND period = '2024-02-01'",
        {("a", FEB)},
    ),
    "a site month moved to another month": (
        "UPDATE site_month SET period = '2024-04-01' WHERE site_id = :north AND period = '2024-02-01'",
        {("a", FEB), ("a", APR)},
    ),
    "a site month moved to another company's site": (
        "UPDATE site_month SET site_id = :west, period = '2024-04-01' WHERE site_id = :south AND period = '2024-03-01'",
        {("a", MAR), ("b", APR)},
    ),
    "a site month deleted": ("DELETE FROM site_month WHERE site_id = :south AND period = '2024-03-01'", {("a", MAR)}),
    "the company's month changed": (
        "UPDATE company_month SET btc_held_end = 1 WHERE company_id = :a AND period = '2024-01-01'",
        {("a", JAN)},
    ),
    "the company's month deleted": (
        "DELETE FROM company_month WHERE company_id = :a AND period = '2024-02-01'",
        {("a", FEB)},
    ),
    "a history entry written": (
        "INSERT INTO figure_revision (company_id, entity_kind, entity_id, period, metric, value, is_estimate,"
        " published_at, recorded_at, actor_role) VALUES (:a, 'site', :north, '2024-03-01', 'btc_mined', 5, false,"
        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'editor')",
        {("a", MAR)},
    ),
    "a network month changed": (
        "UPDATE network_month SET btc_price_avg_usd = 1 WHERE period = '2024-02-01'",
        {("network", FEB)},
    ),
    # A company's sites and events: its structure stamp (app.store.queries.structure), the months' as well for a
    # site that leaves it (their rows went with it).
    "a site deleted (its months go by cascade)": (
        "DELETE FROM site WHERE id = :west",
        {("b", JAN), ("b", FEB), ("b", MAR), ("b", STRUCTURE)},
    ),
    "a site renamed": (
        "UPDATE site SET name = 'Far west' WHERE id = :west",
        {("b", JAN), ("b", FEB), ("b", MAR), ("b", STRUCTURE)},
    ),
    "a site moved to another company": (
        "UPDATE site SET company_id = :a WHERE id = :west",
        {("b", JAN), ("b", FEB), ("b", MAR), ("b", STRUCTURE), ("a", STRUCTURE)},
    ),
    "a site added": (
        "INSERT INTO site (company_id, slug, name, status, created_at, updated_at)"
        " VALUES (:a, 'east', 'East', 'operating', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        {("a", STRUCTURE)},
    ),
    "an event of the company written": (
        "INSERT INTO event (date, title, kind, company_id, created_at, updated_at)"
        " VALUES ('2024-02-10', 'Storm', 'weather', :a, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        {("a", STRUCTURE)},
    ),
    "an event of every company written": (
        "INSERT INTO event (date, title, kind, created_at, updated_at)"
        " VALUES ('2024-05-01', 'Difficulty record', 'other', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        {("network", STRUCTURE)},
    ),
    "an event of every company made the company's": (
        "UPDATE event SET company_id = :a WHERE company_id IS NULL",
        {("network", STRUCTURE), ("a", STRUCTURE)},
    ),
    "an event of every company deleted": ("DELETE FROM event WHERE company_id IS NULL", {("network", STRUCTURE)}),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_moves_the_stamps_of_the_months_it_touches_and_no_others(
    db_session: Session, two_companies: tuple[Company, list[Site], Company, Site], write: str
) -> None:
    a, (north, south), b, west = two_companies
    owners = {"a": a.id, "b": b.id, "network": NETWORK}
    statement, moves = WRITES[write]
    before = _stamps(db_session)
    assert {(a.id, m) for m in MONTHS} | {(b.id, m) for m in MONTHS} | {(NETWORK, m) for m in MONTHS} <= before.keys()
    names = {"a": a.id, "north": north.id, "south": south.id, "west": west.id}
    db_session.execute(text(statement), {k: v for k, v in names.items() if f":{k}" in statement})
    assert _moved(before, _stamps(db_session)) == {(owners[owner], period) for owner, period in moves}


def test_a_stamp_never_comes_back_after_a_rollback(
    db_session: Session, two_companies: tuple[Company, list[Site], Company, Site]
) -> None:
    _, (north, _), _, _ = two_companies
    a_id = north.company_id
    change = text("UPDATE site_month SET btc_mined = btc_mined + 1 WHERE site_id = :north AND period = '2024-02-01'")
    seen = {_stamps(db_session)[(a_id, FEB)]}
    for _ in range(3):
        with db_session.begin_nested() as savepoint:
            db_session.execute(change, {"north": north.id})
            seen.add(_stamps(db_session)[(a_id, FEB)])
            savepoint.rollback()
    db_session.execute(change, {"north": north.id})
    seen.add(_stamps(db_session)[(a_id, FEB)])
    assert len(seen) == 5  # the first, three rolled back, and the one kept


def test_a_write_behind_the_apps_back_is_read_at_once(
    db_session: Session, two_companies: tuple[Company, list[Site], Company, Site]
) -> None:
    """No revision bump, no ORM: a SQL console's correction. The kept months must not hide it."""
    a, (north, _), _, _ = two_companies
    series = load_company_series(a, session=db_session, start=JAN, end=MAR)[1]
    site_page = load_site_series(north, session=db_session, start=JAN, end=MAR)
    assert load_company_series(a, session=db_session, start=JAN, end=MAR)[1] == series  # kept, unchanged
    hits = MONTH_VIEWS.hits
    db_session.execute(
        text(
            "UPDATE site_month SET btc_mined = 1234.5, hashrate_avg_ehs = 99"
            " WHERE site_id = :north AND period = '2024-02-01'"
        ),
        {"north": north.id},
    )
    again = load_company_series(a, session=db_session, start=JAN, end=MAR)[1]
    assert again[0] is series[0]  # January kept; February and March (its holdings' month before) built again
    assert MONTH_VIEWS.hits == hits + 1
    with pytest.MonkeyPatch.context() as patch:  # what a process that kept nothing reads
        patch.setattr(queries, "MONTH_VIEWS", MonthMemo(MONTH_VIEWS.capacity))
        fresh = load_company_series(a, session=db_session, start=JAN, end=MAR)[1]
    assert again == fresh and repr(again) == repr(fresh)
    assert (series[1].values["hashrate_avg_ehs"], again[1].values["hashrate_avg_ehs"]) == (20, 109)  # the sites' sum
    site_again = load_site_series(north, session=db_session, start=JAN, end=MAR)
    assert site_again[1].values["btc_mined"] == Decimal("1234.5") != site_page[1].values["btc_mined"]
