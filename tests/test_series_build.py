"""The shortcuts of the series build: shared coverages, the usual month's shared provenance, derived coverage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from app.domain import metrics as m
from app.domain.coverage import Coverage, MonthCoverages, SiteLife, month_coverage
from app.domain.derived import ALTERNATIVE_INPUTS, DERIVED_INPUTS
from app.domain.enums import SiteStatus
from app.domain.figure_sources import FigureSource
from app.domain.reports import build_company_series, month_range
from app.store.models import Site

JAN, FEB, MAR = (dt.date(2025, m, 1) for m in (1, 2, 3))
RELEASE = "https://example.com/release"

LIVES = [
    SiteLife("a", "A", dt.date(2024, 1, 1)),
    # Energized mid-February: operating from February.
    SiteLife("b", "B", dt.date(2025, 2, 14)),
    # Retired in March: operating up to February.
    SiteLife("c", "C", dt.date(2024, 1, 1), retired=dt.date(2025, 3, 1)),
    # No known start: operating from its first report.
    SiteLife("d", "D", None, first_reported=dt.date(2025, 2, 1)),
    SiteLife("e", "E", None),
]


def test_active_sites_are_those_whose_life_covers_the_month() -> None:
    coverages = MonthCoverages(LIVES)
    for period in month_range(dt.date(2023, 12, 1), dt.date(2025, 6, 1)):
        assert coverages.active(period) == tuple(life.slug for life in LIVES if life.active_in(period))


def test_months_with_the_same_sites_share_one_coverage() -> None:
    coverages = MonthCoverages(LIVES)
    jan = coverages.of_month(JAN, {"btc_mined": ("a", "c"), "hashrate_avg_ehs": ["a", "c"]})
    assert jan["btc_mined"] is jan["hashrate_avg_ehs"] and jan["btc_mined"].complete
    feb = coverages.of_month(FEB, {"btc_mined": ("a", "c"), "hashrate_avg_ehs": ("a", "b", "c", "d")})
    # Other sites operate in February: the same reports make a partial value then.
    assert feb["btc_mined"] is not jan["btc_mined"] and feb["btc_mined"].missing == ("b", "d")
    assert feb["hashrate_avg_ehs"].complete
    # A site reporting outside its life counts among the active ones, after them.
    assert coverages.of_month(JAN, {"btc_mined": ("e", "a")})["btc_mined"].sites_active == ("a", "c", "e")
    assert coverages.of_month(JAN, {}) == {}


def test_month_coverage_is_the_shared_builder_of_one_month() -> None:
    reported = {"btc_mined": ["a"], "hashrate_end_ehs": ["a", "b", "c", "d"]}
    found = month_coverage(LIVES, FEB, reported)
    assert found == MonthCoverages(LIVES).of_month(FEB, reported)
    assert found["btc_mined"] == Coverage(("a",), ("a", "b", "c", "d"))
    assert found["btc_mined"].names == tuple((life.slug, life.name) for life in LIVES)
    assert found["btc_mined"].label() == "1 of 4 sites (B, C, D not reported)"


def test_a_coverage_says_what_is_missing_whatever_built_it() -> None:
    partial = Coverage(("a", "x"), ("a", "b", "c"))
    assert partial.missing == ("b", "c") and not partial.complete
    assert Coverage(("b", "a"), ("a", "b")).complete
    assert "_missing" not in repr(partial)
    assert partial == Coverage(("a", "x"), ("a", "b", "c"), names=(("a", "A"),))


def test_derived_inputs_are_never_derived_themselves() -> None:
    # The build gives a derived figure the coverage of its partial inputs, read before any derived figure's
    # coverage is set: that is only right while no derived figure is computed from another.
    for inputs in (*DERIVED_INPUTS.values(), *ALTERNATIVE_INPUTS.values()):
        assert not [name for name in inputs if m.METRICS[name].level == "derived"]


def _site(site_id: int) -> Site:
    return Site(id=site_id, slug=f"s{site_id}", name=f"Site {site_id}", status=SiteStatus.operating)


def _row(site_id: int, period: dt.date = JAN, **figures: Any) -> Any:
    values: dict[str, Any] = dict.fromkeys(m.SITE_METRICS)
    values.update(figures)
    return SimpleNamespace(
        site_id=site_id,
        period=period,
        source_url=RELEASE,
        is_estimate=False,
        is_illustrative=False,
        figure_sources=None,
        revised_at=None,
        revision_reason=None,
        **values,
    )


def _views(*rows: Any) -> list[Any]:
    sites = [_site(i) for i in sorted({r.site_id for r in rows})]
    return build_company_series(
        sites=sites, company_months=[], site_months=list(rows), network_months=[], start=JAN, end=FEB
    )


def test_sites_of_one_release_each_get_their_own_provenance_dict() -> None:
    jan, _ = _views(_row(1, btc_mined=Decimal(1), miners_deployed=5), _row(2, btc_mined=Decimal(2), miners_deployed=7))
    one, two = jan.sites["s1"].sources, jan.sites["s2"].sources
    release = FigureSource(RELEASE, False, False)
    assert one == two == {"btc_mined": release, "miners_deployed": release}
    # app.domain.provenance rewrites a site's sources in place: no site may share another's dict.
    assert one is not two
    assert jan.sources == {"btc_mined": release, "miners_deployed": release}
    assert jan.values["miners_deployed"] == Decimal(12) and jan.values["hashrate_avg_ehs"] is None


def test_a_figure_some_sites_lack_has_sources_where_present_and_a_partial_coverage() -> None:
    jan, feb = _views(
        _row(1, btc_mined=Decimal(1), hashrate_avg_ehs=Decimal("0.5")),
        _row(2, btc_mined=Decimal(2)),
        _row(1, FEB, btc_mined=Decimal(3)),
    )
    assert set(jan.sites["s1"].sources) == {"btc_mined", "hashrate_avg_ehs"}
    assert set(jan.sites["s2"].sources) == {"btc_mined"}
    assert jan.coverage["btc_mined"].complete and jan.coverage["hashrate_avg_ehs"].missing == ("s2",)
    # Derived from a partial input: partial too (BTC per EH/s per day reads the average hashrate).
    assert jan.coverage["btc_per_ehs_day"] is jan.coverage["hashrate_avg_ehs"]
    assert "btc_per_day" not in jan.coverage
    assert feb.coverage["btc_mined"].missing == ("s2",) and feb.coverage["btc_per_day"].missing == ("s2",)
