"""The CleanSpark demo data: sourced, gaps kept, estimates flagged, illustrative split exact, idempotent."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import demo
from app.store.models import Company, CompanyMonth, Event, EventKind, NetworkMonth, RecordStatus, Site, SiteMonth


@pytest.fixture
def seeded(db_session: Session) -> Session:
    demo.seed_demo(session=db_session)
    return db_session


def _month(session: Session, period: dt.date) -> CompanyMonth | None:
    return session.scalar(select(CompanyMonth).where(CompanyMonth.period == period))


def test_company_and_sites(seeded: Session) -> None:
    company = seeded.scalar(select(Company).where(Company.slug == "cleanspark"))
    assert company is not None and company.ticker == "CLSK" and company.fiscal_year_end_month == 9
    names = seeded.scalars(select(Site.name).where(Site.company_id == company.id)).all()
    assert sorted(names) == ["Georgia", "Tennessee", "Wyoming"]


def test_january_2025_figures_with_their_source(seeded: Session) -> None:
    jan = _month(seeded, dt.date(2025, 1, 1))
    assert jan is not None
    assert jan.btc_mined_total == Decimal(626)
    assert jan.btc_held_end == Decimal(10556)
    assert jan.status == RecordStatus.published
    # The press page wins over the brief's summary when both say 626.
    assert jan.figure_sources["btc_mined_total"]["source_url"].startswith("https://www.coindesk")


def test_gaps_stay_gaps(seeded: Session) -> None:
    assert _month(seeded, dt.date(2025, 2, 1)) is None
    assert _month(seeded, dt.date(2025, 7, 1)) is None
    jan_2026 = _month(seeded, dt.date(2026, 1, 1))
    assert jan_2026 is not None and jan_2026.btc_mined_total is None and jan_2026.btc_held_end == 13513
    assert (
        seeded.scalar(select(func.count()).select_from(SiteMonth).where(SiteMonth.period == dt.date(2025, 2, 1))) == 0
    )


def test_unverified_figures_are_estimates(seeded: Session) -> None:
    march_2024 = _month(seeded, dt.date(2024, 3, 1))
    assert march_2024 is not None
    assert march_2024.figure_sources["btc_mined_total"]["is_estimate"] is True
    may_2024 = _month(seeded, dt.date(2024, 5, 1))
    assert may_2024 is not None
    assert may_2024.figure_sources["btc_sold"]["is_estimate"] is True
    assert may_2024.figure_sources["btc_mined_total"]["is_estimate"] is False


def test_contradictions_resolved_as_documented(seeded: Session) -> None:
    sep_2024 = _month(seeded, dt.date(2024, 9, 1))
    assert sep_2024 is not None
    assert sep_2024.btc_held_end == Decimal(8049)
    assert sep_2024.hashrate_end_ehs == Decimal("27.6")
    assert "collateral" in sep_2024.figure_sources["btc_held_end"]["chosen_because"]


def test_sale_proceeds_from_notes(seeded: Session) -> None:
    aug_2025 = _month(seeded, dt.date(2025, 8, 1))
    assert aug_2025 is not None and aug_2025.btc_sold_proceeds_usd == Decimal("60700000")


def test_illustrative_split_sums_to_published_totals(seeded: Session) -> None:
    totals = dict(seeded.execute(select(CompanyMonth.period, CompanyMonth.btc_mined_total)).all())
    site_sums = dict(
        seeded.execute(select(SiteMonth.period, func.sum(SiteMonth.btc_mined)).group_by(SiteMonth.period)).all()
    )
    checked = 0
    for period, total in totals.items():
        if total is None:
            continue
        assert Decimal(site_sums[period]) == total, period
        checked += 1
    assert checked >= 20
    flags = seeded.execute(select(SiteMonth.is_illustrative, SiteMonth.is_estimate)).all()
    assert flags and all(illustrative and estimate for illustrative, estimate in flags)


def test_split_is_exact_for_awkward_totals() -> None:
    shares = {"a": Decimal("0.62"), "b": Decimal("0.28"), "c": Decimal("0.1")}
    parts = demo.split_total(Decimal("578.51"), shares, Decimal("0.00000001"))
    assert sum(parts.values()) == Decimal("578.51")
    assert demo.split_total(Decimal("578.51"), shares, Decimal("0.00000001")) == parts


def test_events_from_notes_and_the_halving(seeded: Session) -> None:
    events = {e.title: e for e in seeded.scalars(select(Event))}
    halving = next(e for e in events.values() if e.kind == EventKind.halving)
    assert halving.date == dt.date(2024, 4, 20) and halving.company_id is None
    helene = next(e for t, e in events.items() if "Helene" in t)
    assert helene.date == dt.date(2024, 9, 27) and helene.site_id is not None and helene.source_url
    assert any("Elliott" in t for t in events)


def test_network_months(seeded: Session) -> None:
    oct_2024 = seeded.scalar(select(NetworkMonth).where(NetworkMonth.period == dt.date(2024, 10, 1)))
    assert oct_2024 is not None and oct_2024.network_hashrate_avg_ehs == Decimal(700)
    feb_2024 = seeded.scalar(select(NetworkMonth).where(NetworkMonth.period == dt.date(2024, 2, 1)))
    assert feb_2024 is not None and feb_2024.is_estimate


def test_running_twice_changes_nothing(seeded: Session) -> None:
    assert demo.seed_demo(session=seeded) == {"created": 0, "updated": 0}


def test_unknown_contradiction_stops_the_load(db_session: Session, tmp_path: Path) -> None:
    shutil.copy(demo.DATA_DIR / "network_monthly.csv", tmp_path / "network_monthly.csv")
    source = (demo.DATA_DIR / "cleanspark_monthly.csv").read_text(encoding="utf-8")
    extra = "CLSK,2025-01,btc_held_end,99999,BTC,https://example.com/x,made up,\n"
    (tmp_path / "cleanspark_monthly.csv").write_text(source + extra, encoding="utf-8")
    with pytest.raises(demo.DemoDataError, match="2025-01 btc_held_end"):
        demo.seed_demo(session=db_session, data_dir=tmp_path)
