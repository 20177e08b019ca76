"""The league table: companies ranked on one month's figures (pure: no database, no request).

A company without a figure gets no rank for it: a gap, shown as such and listed after the ranked ones, never
counted as last place. Equal figures share a rank (1, 2, 2, 4). Lower is better where the dictionary says
so (fleet efficiency).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from app.domain import formulas
from app.domain import metrics as m
from app.domain.coverage import comparable_key, partial_label
from app.domain.month_views import sources_of
from app.domain.reports import MonthView, add_months

LEAGUE_METRICS: tuple[str, ...] = (
    "btc_mined",
    "realized_hashrate_ehs",
    "share_of_network_pct",
    "btc_held_end",
    "fleet_efficiency_jth",
)
DEFAULT_SORT = "btc_mined"


@dataclass(slots=True)
class Cell:
    value: Decimal | None = None
    rank: int | None = None
    mom_pct: Decimal | None = None
    basis: str | None = None
    is_estimate: bool = False
    coverage: str = ""  # "2 of 3 sites (South not reported)": a sum over the sites that reported


@dataclass(slots=True)
class LeagueRow:
    slug: str
    name: str
    ticker: str | None
    reported: bool
    cells: dict[str, Cell] = field(default_factory=dict)


def default_month(companies_per_month: Mapping[dt.date, int]) -> dt.date | None:
    """The latest month that the most companies published a BTC-mined figure for."""
    if not companies_per_month:
        return None
    return max(companies_per_month, key=lambda p: (companies_per_month[p], p))


def _value(view: MonthView | None, metric: str) -> Decimal | None:
    if view is None:
        return None
    value = view.values.get(metric)
    return None if value is None else Decimal(value)


def build_league(
    companies: Sequence[tuple[str, str, str | None, Sequence[MonthView]]],
    month: dt.date,
    sort: str = DEFAULT_SORT,
) -> list[LeagueRow]:
    """One row per company (slug, name, ticker, views covering the month and the one before), ranked."""
    if sort not in LEAGUE_METRICS:
        raise ValueError(f"sort: use one of {', '.join(LEAGUE_METRICS)}")
    before = add_months(month, -1)
    rows: list[LeagueRow] = []
    for slug, name, ticker, views in companies:
        by_period = {v.period: v for v in views}
        view, previous = by_period.get(month), by_period.get(before)
        row = LeagueRow(slug, name, ticker, reported=view is not None and view.has_data)
        for metric in LEAGUE_METRICS:
            value = _value(view, metric)
            cell = Cell(value=value, mom_pct=formulas.change_pct(value, _value(previous, metric)))
            if view is not None and value is not None:
                if not _comparable(view, previous, metric):
                    cell.mom_pct = None  # a change across a coverage change is no change
                cell.coverage = partial_label(view.coverage, metric)
                cell.basis = view.basis.get(metric)
                cell.is_estimate = any(s.is_estimate or s.is_illustrative for s in sources_of(view, metric))
            row.cells[metric] = cell
        rows.append(row)
    for metric in LEAGUE_METRICS:
        _rank(rows, metric)
    return sorted(rows, key=lambda r: _order(r, sort))


def _comparable(view: MonthView, previous: MonthView | None, metric: str) -> bool:
    if previous is None:
        return True
    return comparable_key(view.coverage.get(metric)) == comparable_key(previous.coverage.get(metric))


def _rank(rows: list[LeagueRow], metric: str) -> None:
    lower_is_better = m.METRICS[metric].lower_is_better
    ranked = [r for r in rows if r.cells[metric].value is not None]
    ranked.sort(key=lambda r: r.cells[metric].value or Decimal(0), reverse=not lower_is_better)
    previous: Decimal | None = None
    rank = 0
    for position, row in enumerate(ranked, start=1):
        value = row.cells[metric].value
        if value != previous:
            rank, previous = position, value
        row.cells[metric].rank = rank


def _order(row: LeagueRow, sort: str) -> tuple[int, int, str]:
    rank = row.cells[sort].rank
    # Ranked companies first by rank; then the ones with gaps, those that reported the month before the silent.
    return (0 if rank is not None else 1, rank or (0 if row.reported else 1), row.name.lower())
