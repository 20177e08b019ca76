"""Quarters and fiscal years from monthly figures (pure: no database, no request).

* A fiscal year is named by the calendar year it ends in: with a year ending in September (CleanSpark),
  FY2025 runs October 2024 to September 2025 and its Q1 is October to December 2024.
* Flows (BTC mined, sold, proceeds, revenue) are summed over the quarter's months; stocks (holdings, their
  value, month-end hashrate, fleet efficiency) are the quarter's last month's; averages (hashrate, share of
  network, price, hashprice) are weighted by the days of the months that have them.
* A quarter is complete only when every month has a published release; otherwise it says which months are
  missing, and each figure says how many months it covers. A stock missing at quarter end is a gap, never
  the month before's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Literal

from app.domain.formulas import days_in_month
from app.domain.month_memo import KeptFrom
from app.domain.reports import MonthView, add_months

Basis = Literal["fiscal", "calendar"]
FLOWS: tuple[str, ...] = ("btc_mined", "btc_sold", "btc_sold_proceeds_usd", "mining_revenue_usd")
STOCKS: tuple[str, ...] = ("btc_held_end", "treasury_value_usd", "hashrate_end_ehs", "fleet_efficiency_jth")
AVERAGES: tuple[str, ...] = (
    "hashrate_avg_ehs",
    "realized_hashrate_ehs",
    "share_of_network_pct",
    "btc_price_avg_usd",
    "hashprice_usd_per_ph_day",
)
QUARTER_METRICS: tuple[str, ...] = (*FLOWS, *STOCKS, *AVERAGES)
RULES: dict[str, str] = {
    **dict.fromkeys(FLOWS, "sum of the quarter's months"),
    **dict.fromkeys(STOCKS, "the quarter's last month"),
    **dict.fromkeys(AVERAGES, "mean of the months, weighted by their days"),
}


@dataclass(slots=True)
class Quarter:
    fiscal_year: int
    quarter: int
    start: dt.date
    label: str
    months: list[dt.date]
    missing: list[dt.date]
    values: dict[str, Decimal | None] = field(default_factory=dict)
    coverage: dict[str, int] = field(default_factory=dict)

    @property
    def end(self) -> dt.date:
        return self.months[-1]

    @property
    def complete(self) -> bool:
        return not self.missing


def quarter_of(period: dt.date, fiscal_year_end_month: int, basis: Basis = "fiscal") -> tuple[int, int, dt.date]:
    """(fiscal year, quarter 1-4, the quarter's first month) of a month."""
    end_month = 12 if basis == "calendar" else fiscal_year_end_month
    start_month = end_month % 12 + 1
    year_start = dt.date(period.year if period.month >= start_month else period.year - 1, start_month, 1)
    quarter = ((period.month - start_month) % 12) // 3 + 1
    fiscal_year = year_start.year if start_month == 1 else year_start.year + 1
    return fiscal_year, quarter, add_months(year_start, (quarter - 1) * 3)


def label_of(fiscal_year: int, quarter: int, fiscal_year_end_month: int, basis: Basis) -> str:
    if basis == "calendar" or fiscal_year_end_month == 12:
        return f"{fiscal_year} Q{quarter}"
    return f"FY{fiscal_year} Q{quarter}"


def build_quarters(
    views: Sequence[MonthView],
    fiscal_year_end_month: int,
    basis: Basis = "fiscal",
    kept: KeptFrom[Quarter] | None = None,
) -> list[Quarter]:
    """Every quarter touched by `views`, oldest first (months outside `views` count as missing).

    With `kept`, each quarter is kept by the identity of its months' views: only for views that never change once
    built (app.store.queries.MONTH_VIEWS keeps such), so that a page after a correction builds one quarter again.
    """
    by_period = {v.period: v for v in views}
    starts: dict[dt.date, tuple[int, int]] = {}
    for view in views:
        fiscal_year, quarter, start = quarter_of(view.period, fiscal_year_end_month, basis)
        starts.setdefault(start, (fiscal_year, quarter))
    out: list[Quarter] = []
    for start in sorted(starts):
        months = tuple(add_months(start, i) for i in range(3))
        present = tuple(by_period[p] for p in months if p in by_period)
        settings = (*starts[start], months, fiscal_year_end_month, basis)
        build = partial(_quarter, present, *settings)
        out.append(build() if kept is None else kept.get(present, settings, build))
    return out


def _quarter(
    present: Sequence[MonthView],
    fiscal_year: int,
    quarter: int,
    months: tuple[dt.date, ...],
    fiscal_year_end_month: int,
    basis: Basis,
) -> Quarter:
    """One quarter from the views of its months that are present."""
    reported = {v.period for v in present if v.has_data}
    q = Quarter(
        fiscal_year=fiscal_year,
        quarter=quarter,
        start=months[0],
        label=label_of(fiscal_year, quarter, fiscal_year_end_month, basis),
        months=list(months),
        missing=[p for p in months if p not in reported],
    )
    for metric in QUARTER_METRICS:
        known = [(v.period, _decimal(x)) for v in present if (x := v.values.get(metric)) is not None]
        q.coverage[metric] = len(known)
        q.values[metric] = _combine(metric, known, months[-1])
    return q


def _combine(metric: str, known: list[tuple[dt.date, Decimal]], last: dt.date) -> Decimal | None:
    if not known:
        return None
    if metric in FLOWS:
        return sum((v for _, v in known), Decimal(0))
    if metric in STOCKS:
        return next((v for p, v in known if p == last), None)
    days = [days_in_month(p) for p, _ in known]
    return sum([v * d for (_, v), d in zip(known, days, strict=True)], Decimal(0)) / sum(days)


def _decimal(value: Decimal | int) -> Decimal:
    # A Decimal as it is (Decimal(d) would only copy it); a count of machines becomes one.
    return value if type(value) is Decimal else Decimal(value)
