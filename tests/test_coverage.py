"""Coverage of company values computed from sites: which sites operated, which reported, and no change
across a coverage change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.domain.coverage import (
    COVERABLE,
    SITE_AGGREGATES,
    Coverage,
    SiteLife,
    comparable_key,
    coverage_text,
    not_comparable,
    partial_label,
)
from app.domain.enums import RecordStatus, SiteStatus
from app.domain.month_views import with_changes
from app.domain.reports import build_company_series
from app.store.models import CompanyMonth, Site, SiteMonth

JAN, FEB, MAR, APR = (dt.date(2025, m, 1) for m in (1, 2, 3, 4))


def _sites() -> list[Site]:
    return [
        Site(id=1, slug="north", name="North", status=SiteStatus.operating, energized_on=dt.date(2020, 1, 1)),
        Site(id=2, slug="south", name="South", status=SiteStatus.operating, energized_on=dt.date(2020, 1, 1)),
        # Energized mid-February: it operates from February on.
        Site(id=3, slug="west", name="West", status=SiteStatus.operating, energized_on=dt.date(2025, 2, 14)),
    ]


def _row(site_id: int, period: dt.date, hashrate: str | None, btc: str | None = None) -> SiteMonth:
    return SiteMonth(
        site_id=site_id,
        period=period,
        status=RecordStatus.published,
        is_illustrative=False,
        is_estimate=False,
        figure_sources={},
        hashrate_avg_ehs=Decimal(hashrate) if hashrate else None,
        btc_mined=Decimal(btc) if btc else None,
    )


def _series(site_months: list[SiteMonth], company_months: list[CompanyMonth] | None = None) -> dict[dt.date, object]:
    views = build_company_series(
        sites=_sites(),
        company_months=company_months or [],
        site_months=site_months,
        network_months=[],
        start=JAN,
        end=APR,
    )
    return {v.period: v for v in views}


def test_a_partial_sum_says_which_sites_it_covers_and_names_the_missing_one() -> None:
    rows = [
        _row(1, JAN, "5"),
        _row(2, JAN, "4"),
        _row(1, FEB, "5"),
        _row(2, FEB, "4"),
        _row(3, FEB, "5.7"),
        _row(1, MAR, "1.6"),
        _row(3, MAR, "1.5"),
    ]
    views = build_company_series(
        sites=_sites(), company_months=[], site_months=rows, network_months=[], start=JAN, end=APR
    )
    by = {v.period: v for v in views}
    # January: West was not energized yet, so two of two operating sites make the whole company.
    assert by[JAN].coverage["hashrate_avg_ehs"].complete
    assert by[JAN].coverage["hashrate_avg_ehs"].sites_active == ("north", "south")
    feb = by[FEB].coverage["hashrate_avg_ehs"]
    assert feb.complete and len(feb.sites_active) == 3
    mar = by[MAR].coverage["hashrate_avg_ehs"]
    assert not mar.complete and mar.missing == ("south",)
    assert mar.label({"south": "South"}) == "2 of 3 sites (South not reported)"
    assert by[MAR].values["hashrate_avg_ehs"] == Decimal("3.1")
    # No figure at all in April: no value, no coverage (a gap, not a zero).
    assert by[APR].values["hashrate_avg_ehs"] is None and "hashrate_avg_ehs" not in by[APR].coverage
    changes = with_changes(views, "hashrate_avg_ehs")
    # February to March crosses a coverage change: no month-over-month change is shown.
    assert changes[MAR] == (None, None)
    # January (whole, two sites) to February (whole, three sites) compares the whole company both times.
    assert changes[FEB][0] is not None


def test_changes_between_partial_sums_of_the_same_sites_are_shown() -> None:
    rows = [_row(1, FEB, "5"), _row(3, FEB, "1"), _row(1, MAR, "6"), _row(3, MAR, "1")]
    views = build_company_series(
        sites=_sites(), company_months=[], site_months=rows, network_months=[], start=FEB, end=MAR
    )
    mar = views[-1]
    assert not mar.coverage["hashrate_avg_ehs"].complete
    mom, _ = with_changes(views, "hashrate_avg_ehs")[MAR]
    assert mom is not None and round(mom, 2) == Decimal("16.67")


def test_a_company_reported_total_wins_and_has_no_partial_coverage() -> None:
    rows = [_row(1, MAR, "1.6", btc="10"), _row(3, MAR, "1.5", btc="9")]
    company = CompanyMonth(
        company_id=1,
        period=MAR,
        status=RecordStatus.published,
        is_estimate=False,
        figure_sources={},
        btc_mined_total=Decimal("40"),
        hashrate_avg_ehs=Decimal("14.7"),
    )
    views = build_company_series(
        sites=_sites(), company_months=[company], site_months=rows, network_months=[], start=MAR, end=MAR
    )
    (mar,) = views
    assert mar.values["hashrate_avg_ehs"] == Decimal("14.7") and mar.values["btc_mined"] == Decimal("40")
    assert "hashrate_avg_ehs" not in mar.coverage and "btc_mined" not in mar.coverage
    # The yield per EH/s uses only whole-company inputs, so it is whole too.
    assert "btc_per_ehs_day" not in mar.coverage


def test_a_derived_figure_inherits_the_partial_coverage_of_its_inputs() -> None:
    rows = [_row(1, MAR, "1.6", btc="10"), _row(3, MAR, "1.5", btc="9")]
    (mar,) = build_company_series(
        sites=_sites(), company_months=[], site_months=rows, network_months=[], start=MAR, end=MAR
    )
    assert mar.coverage["btc_per_ehs_day"].missing == ("south",)


def test_site_life_bounds_and_retirement() -> None:
    life = SiteLife("x", "X", energized=dt.date(2024, 3, 20), retired=dt.date(2025, 2, 1))
    assert not life.active_in(dt.date(2024, 2, 1))
    assert life.active_in(dt.date(2024, 3, 1)) and life.active_in(JAN)
    assert not life.active_in(FEB)
    unknown = SiteLife("y", "Y", energized=None, first_reported=FEB)
    assert not unknown.active_in(JAN) and unknown.active_in(APR)
    assert not SiteLife("z", "Z", energized=None).active_in(JAN)


def test_a_retired_site_without_a_recorded_month_stops_after_its_last_report() -> None:
    sites = _sites()
    sites[1].status = SiteStatus.retired
    rows = [_row(1, JAN, "5"), _row(2, JAN, "4"), _row(1, FEB, "5"), _row(3, FEB, "1")]
    views = build_company_series(
        sites=sites, company_months=[], site_months=rows, network_months=[], start=JAN, end=FEB
    )
    assert views[-1].coverage["hashrate_avg_ehs"].complete


def test_comparable_key() -> None:
    whole = Coverage(("a", "b"), ("a", "b"))
    part = Coverage(("a",), ("a", "b"))
    assert comparable_key(None) is None and comparable_key(whole) is None
    assert comparable_key(part) == frozenset({"a"})


def test_site_figures_for_only_some_months_mix_with_company_totals() -> None:
    company = CompanyMonth(
        company_id=1,
        period=JAN,
        status=RecordStatus.published,
        is_estimate=False,
        figure_sources={},
        hashrate_avg_ehs=Decimal("8"),
    )
    rows = [_row(1, FEB, "5"), _row(2, FEB, "4"), _row(3, FEB, "1"), _row(1, MAR, "5"), _row(3, MAR, "1")]
    views = build_company_series(
        sites=_sites(), company_months=[company], site_months=rows, network_months=[], start=JAN, end=APR
    )
    by = {v.period: v for v in views}
    assert "hashrate_avg_ehs" not in by[JAN].coverage and by[FEB].coverage["hashrate_avg_ehs"].complete
    # The names travel with the coverage: the label needs no lookup.
    assert partial_label(by[MAR].coverage, "hashrate_avg_ehs") == "2 of 3 sites (South not reported)"
    assert partial_label(by[FEB].coverage, "hashrate_avg_ehs") == ""
    changes = with_changes(views, "hashrate_avg_ehs")
    # The company's own total and a complete site sum are both the whole company: a change.
    assert changes[FEB][0] == Decimal(25)
    assert changes[MAR] == (None, None) and changes[APR] == (None, None)


def test_why_a_change_is_not_comparable() -> None:
    whole = Coverage(("a", "b", "c"), ("a", "b", "c"))
    part = Coverage(("a", "c"), ("a", "b", "c"))
    other = Coverage(("b",), ("a", "b", "c"))
    months = {"current_month": "March 2025", "earlier_month": "February 2025"}
    assert not_comparable(whole, None, **months) == ""
    assert not_comparable(part, whole, **months) == "not comparable: March 2025 covers 2 of 3 sites"
    assert not_comparable(whole, part, **months) == "not comparable: February 2025 covers 2 of 3 sites"
    assert not_comparable(part, other, **months) == (
        "not comparable: March 2025 covers 2 of 3 sites, February 2025 covers 1 of 3 sites"
    )


def test_which_metrics_can_be_partial() -> None:
    assert {"btc_mined", "hashrate_avg_ehs", "fleet_efficiency_jth"} <= set(SITE_AGGREGATES)
    assert "btc_per_ehs_day" in COVERABLE and "btc_per_ehs_day" not in SITE_AGGREGATES
    assert not {"btc_held_end", "btc_mined_total", "curtailment_hours"} & set(COVERABLE)
    assert coverage_text(None) is None and coverage_text(Coverage(("a",), ("a",))) is None
    assert coverage_text(Coverage(("a",), ("a", "b"), (("b", "Bee"),))) == "1 of 2 sites (Bee not reported)"
