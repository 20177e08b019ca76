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


def _month(session: Session, period: dt.date, slug: str = "cleanspark") -> CompanyMonth | None:
    return session.scalar(select(CompanyMonth).join(Company).where(Company.slug == slug, CompanyMonth.period == period))


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
    totals = dict(
        seeded.execute(
            select(CompanyMonth.period, CompanyMonth.btc_mined_total).join(Company).where(Company.slug == "cleanspark")
        ).all()
    )
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


def _network(session: Session, period: dt.date) -> NetworkMonth:
    row = session.scalar(select(NetworkMonth).where(NetworkMonth.period == period))
    assert row is not None
    return row


def test_network_reference_is_complete_and_sourced_per_column(seeded: Session) -> None:
    periods = seeded.scalars(select(NetworkMonth.period).order_by(NetworkMonth.period)).all()
    assert periods[0] == dt.date(2020, 1, 1) and periods[-1] == dt.date(2026, 2, 1) and len(periods) == 74
    jan = _network(seeded, dt.date(2025, 1, 1))
    assert jan.network_hashrate_avg_ehs == Decimal("780.84")
    assert jan.network_difficulty_avg_t == Decimal("109.8301") and jan.network_difficulty_t == Decimal("108.1054")
    assert jan.network_blocks == 4434 and jan.network_subsidy_btc == Decimal("13856.25")
    assert jan.network_fees_btc == Decimal("203.87409655")
    assert jan.btc_price_avg_usd == Decimal("99992.85") and jan.btc_price_close_usd == Decimal("102405.02")
    assert jan.figure_sources["network_fees_btc"]["source"] == "CM"
    assert "CC BY-NC 4.0" in jan.figure_sources["network_fees_btc"]["licence"]
    assert jan.figure_sources["btc_price_close_usd"]["source"] == "YF"
    late = _network(seeded, dt.date(2026, 1, 1))
    assert late.figure_sources["network_hashrate_avg_ehs"]["source"] == "RPC+CMX+Q"
    assert late.figure_sources["network_blocks"]["source"] == "RPC"


def test_network_gaps_stay_gaps(seeded: Session) -> None:
    # February 2026: prices only. The quoted (unverified) difficulty does not fill the gap.
    feb = _network(seeded, dt.date(2026, 2, 1))
    assert feb.btc_price_close_usd == Decimal("66995.86")
    assert feb.network_difficulty_t is None and feb.network_hashrate_avg_ehs is None and feb.network_blocks is None
    assert set(feb.figure_sources) == {"btc_price_avg_usd", "btc_price_close_usd"}


def test_quoted_network_figures_are_cross_checks_not_figures(seeded: Session) -> None:
    oct_2024 = _network(seeded, dt.date(2024, 10, 1))
    # The complete file wins; the quotes (700 and 702 EH/s) are kept beside it.
    assert oct_2024.network_hashrate_avg_ehs == Decimal("703.63")
    checks = oct_2024.figure_sources["network_hashrate_avg_ehs"]["cross_checks"]
    assert sorted(c["value"] for c in checks) == ["700", "702"]
    feb_2024 = _network(seeded, dt.date(2024, 2, 1))
    assert feb_2024.figure_sources["network_difficulty_t"]["cross_checks"][0]["is_estimate"] is True


def test_peers_load_as_companies_without_sites(seeded: Session) -> None:
    companies = {c.slug: c for c in seeded.scalars(select(Company))}
    assert set(companies) == {
        "cleanspark",
        "mara",
        "iren",
        "bitfarms",
        "core-scientific",
        "cipher-mining",
        "hive",
        "terawulf",
        "bitdeer",
        "hut-8",
    }
    assert companies["iren"].fiscal_year_end_month == 6 and companies["hive"].fiscal_year_end_month == 3
    peer_ids = [c.id for slug, c in companies.items() if slug != "cleanspark"]
    assert seeded.scalar(select(func.count()).select_from(Site).where(Site.company_id.in_(peer_ids))) == 0
    per_company = dict(
        seeded.execute(select(Company.slug, func.count()).join(CompanyMonth).group_by(Company.slug)).all()
    )
    assert per_company == {
        "cleanspark": 27,
        "mara": 22,
        "iren": 27,
        "bitfarms": 16,
        "core-scientific": 10,
        "cipher-mining": 4,
        "hive": 6,
        "terawulf": 4,
        "bitdeer": 4,
        "hut-8": 1,
    }


def test_peer_contradictions_and_conversions(seeded: Session) -> None:
    corz = _month(seeded, dt.date(2024, 5, 1), "core-scientific")
    assert corz is not None and corz.btc_mined_total == Decimal(447)
    assert "release" in corz.figure_sources["btc_mined_total"]["chosen_because"]
    mara = _month(seeded, dt.date(2024, 9, 1), "mara")
    assert mara is not None and mara.hashrate_deployed_ehs == Decimal("36.9")
    # Energized beats installed when a release gives both.
    mara_jan = _month(seeded, dt.date(2024, 1, 1), "mara")
    assert mara_jan is not None and mara_jan.hashrate_deployed_ehs == Decimal("26.4")
    iren = _month(seeded, dt.date(2022, 4, 1), "iren")
    assert iren is not None and iren.hashrate_avg_ehs == Decimal("1.038")
    assert "converted" in iren.figure_sources["hashrate_avg_ehs"]["unit"]
    # A site row (TeraWulf's Lake Mariner) never becomes a company figure.
    wulf = _month(seeded, dt.date(2024, 3, 1), "terawulf")
    assert wulf is not None and wulf.btc_mined_total == Decimal(379)


def test_running_twice_changes_nothing(seeded: Session) -> None:
    assert demo.seed_demo(session=seeded) == {"created": 0, "updated": 0}


def test_unknown_contradiction_stops_the_load(db_session: Session, tmp_path: Path) -> None:
    for name in ("network_monthly.csv", "network_quotes.csv", "peers_monthly.csv"):
        shutil.copy(demo.DATA_DIR / name, tmp_path / name)
    source = (demo.DATA_DIR / "cleanspark_monthly.csv").read_text(encoding="utf-8")
    extra = "CLSK,2025-01,btc_held_end,99999,BTC,https://example.com/x,made up,\n"
    (tmp_path / "cleanspark_monthly.csv").write_text(source + extra, encoding="utf-8")
    with pytest.raises(demo.DemoDataError, match="2025-01 btc_held_end"):
        demo.seed_demo(session=db_session, data_dir=tmp_path)
