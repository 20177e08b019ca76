"""The provenance of a company figure summed over its sites: one release's source, or the merge of several."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from app.domain import metrics as m
from app.domain.enums import SiteStatus
from app.domain.figure_sources import FigureSource
from app.domain.reports import build_company_series
from app.store.models import Site

PERIOD = dt.date(2025, 1, 1)
RELEASE = "https://example.com/2025-01"


def _site(site_id: int) -> Site:
    return Site(id=site_id, slug=f"s{site_id}", name=f"Site {site_id}", status=SiteStatus.operating)


def _row(site_id: int, source_url: str | None = RELEASE, **figures: Any) -> Any:
    values = dict.fromkeys(m.SITE_METRICS)
    values.update({k: Decimal(v) for k, v in figures.items() if k in m.SITE_METRICS})
    return SimpleNamespace(
        site_id=site_id,
        period=PERIOD,
        source_url=source_url,
        is_estimate=figures.get("is_estimate", False),
        is_illustrative=False,
        figure_sources=figures.get("figure_sources"),
        revised_at=None,
        revision_reason=None,
        **values,
    )


def _month(*rows: Any) -> Any:
    sites = [_site(r.site_id) for r in rows]
    (view,) = build_company_series(
        sites=sites, company_months=[], site_months=rows, network_months=[], start=PERIOD, end=PERIOD
    )
    return view


def test_one_release_gives_every_sum_its_source_and_only_where_a_site_has_the_figure() -> None:
    view = _month(_row(1, btc_mined="10", hashrate_avg_ehs="2"), _row(2, btc_mined="5"))
    assert view.values["btc_mined"] == Decimal("15")
    assert view.sources["btc_mined"] == FigureSource(RELEASE, False, False)
    assert view.sources["hashrate_avg_ehs"] == FigureSource(RELEASE, False, False)
    assert "energy_mwh" not in view.sources and view.values["energy_mwh"] is None


def test_sites_from_different_sources_merge_into_no_url_and_an_estimate_spreads() -> None:
    view = _month(_row(1, btc_mined="10"), _row(2, "https://example.com/other", btc_mined="5", is_estimate=True))
    assert view.sources["btc_mined"] == FigureSource(None, True, False)


def test_a_quoted_figure_of_one_site_leaves_its_quote_out_of_the_sum() -> None:
    quoted = {"btc_mined": {"source_url": RELEASE, "quote": "we mined 10 BTC"}}
    view = _month(_row(1, btc_mined="10", figure_sources=quoted), _row(2, btc_mined="5"))
    assert view.sites["s1"].sources["btc_mined"].quote == "we mined 10 BTC"
    assert view.sources["btc_mined"] == FigureSource(RELEASE, False, False)
    # With one site the sum is that site's figure, quote and all.
    alone = _month(_row(1, btc_mined="10", figure_sources=quoted))
    assert alone.sources["btc_mined"].quote == "we mined 10 BTC"
