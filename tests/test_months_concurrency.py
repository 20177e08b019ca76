"""Two editors saving the same row at the same moment on Postgres: the second one gets a conflict, not a lost update.

SQLite serialises writers on its own (a second writer waits or fails with "database is locked"), so this
runs on Postgres, where the row lock taken by the save is what keeps the second save from passing.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from app.domain.actors import Actor
from app.schemas.months import SiteMonthCreate
from app.store.models import Company, Site, SiteMonth
from app.store.queries.months import VersionConflict, save_site_month
from tests.factories import make_company, make_site, make_site_month

PERIOD = dt.date(2025, 1, 1)


@pytest.fixture
def committed_site(engine: Engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks matter on Postgres; SQLite has one writer at a time")
    with Session(engine) as session, session.begin():
        company = make_company(session)
        site = make_site(session, company)
        make_site_month(session, site, period=PERIOD, btc_mined=Decimal("1"))
        ids = (company.id, site.id)
    yield ids
    with Session(engine) as session, session.begin():
        session.execute(delete(Company).where(Company.id == ids[0]))


def _save(session: Session, site_id: int, btc: str, label: str) -> None:
    site = session.get(Site, site_id)
    assert site is not None
    save_site_month(
        session=session,
        site=site,
        period=PERIOD,
        data=SiteMonthCreate(btc_mined=btc),
        actor=Actor.system(label),
        expected_version=1,
        reason=f"correction by {label}",
    )


def test_concurrent_saves_of_one_version(engine: Engine, committed_site: tuple[int, int]) -> None:
    _, site_id = committed_site
    outcome: dict[str, object] = {}
    with Session(engine) as first, Session(engine) as second:
        _save(first, site_id, "2", "a")  # holds the row lock until it commits

        def other() -> None:
            try:
                _save(second, site_id, "3", "b")
                second.commit()
                outcome["result"] = "saved"
            except VersionConflict as exc:
                second.rollback()
                outcome["result"] = exc.current.version if exc.current is not None else None

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=1.5)
        assert thread.is_alive(), "the second save waits for the first one's row lock"
        first.commit()
        thread.join(timeout=20)
    assert outcome["result"] == 2
    with Session(engine) as session:
        row = session.scalar(select(SiteMonth).where(SiteMonth.site_id == site_id))
        assert row is not None and row.btc_mined == Decimal("2") and row.version == 2
