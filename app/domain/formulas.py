"""The derived-metric formulas: pure functions of figures that exist (a missing input gives None, never a zero)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache

from app.domain.metrics import METRICS


@lru_cache(maxsize=4096)
def days_in_month(period: dt.date) -> int:
    # Cached: every month of a series asks (per-day figures, hashprice, a quarter's day weights), and
    # calendar.monthrange works out the month's first weekday too.
    return calendar.monthrange(period.year, period.month)[1]


def _ratio(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def btc_per_day(btc_mined: Decimal | None, period: dt.date) -> Decimal | None:
    return _ratio(btc_mined, Decimal(days_in_month(period)))


def btc_per_ehs_day(btc_mined: Decimal | None, hashrate_avg_ehs: Decimal | None, period: dt.date) -> Decimal | None:
    per_ehs = _ratio(btc_mined, hashrate_avg_ehs)
    return None if per_ehs is None else per_ehs / days_in_month(period)


def percent(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    share = _ratio(part, whole)
    return None if share is None else share * 100


def unallocated_btc(btc_mined_total: Decimal | None, site_btc: list[Decimal | None]) -> Decimal | None:
    """Published total minus what the sites account for; None when either side is missing."""
    known = [v for v in site_btc if v is not None]
    if btc_mined_total is None or not known:
        return None
    return btc_mined_total - sum(known, Decimal(0))


def treasury_residual(
    held_end: Decimal | None, previous_held_end: Decimal | None, mined: Decimal | None, sold: Decimal | None
) -> Decimal | None:
    # Every term must be known: an unknown sale is not a zero sale.
    if held_end is None or previous_held_end is None or mined is None or sold is None:
        return None
    return held_end - (previous_held_end + mined - sold)


def avg_sale_price(proceeds: Decimal | None, sold: Decimal | None) -> Decimal | None:
    return _ratio(proceeds, sold)


def change_pct(current: Decimal | None, previous: Decimal | None) -> Decimal | None:
    """Relative change in percent; None when either value is missing or the base is zero."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous) * 100


def aggregate(metric: str, rows: list[dict[str, Decimal | None]]) -> Decimal | None:
    """Combine one metric across sites the way the dictionary says (sum or weighted mean)."""
    spec = METRICS[metric]
    weights = [r.get(spec.weight) for r in rows] if spec.weight else None
    return aggregate_values(metric, [r.get(metric) for r in rows], weights)


# Looked up once per metric and site month otherwise: which metrics combine by a plain sum.
_SUMMED = frozenset(name for name, spec in METRICS.items() if spec.aggregation in ("sum", "none"))
_ZERO = Decimal(0)


def aggregate_values(
    metric: str, values: Sequence[Decimal | int | None], weights: Sequence[Decimal | int | None] | None = None
) -> Decimal | None:
    """`aggregate` over one column of site figures (and the column of their weights, for a weighted mean)."""
    present = [v if type(v) is Decimal else Decimal(v) for v in values if v is not None]
    if not present:
        return None
    if metric in _SUMMED:
        return sum(present, _ZERO) if len(present) > 1 else _ZERO + present[0]
    spec = METRICS[metric]
    assert spec.weight is not None and weights is not None
    pairs = [(Decimal(v), w) for v, w in zip(values, weights, strict=True) if v is not None]
    weighted = [(v, Decimal(w)) for v, w in pairs if w is not None and w > 0]
    total_weight = sum((w for _, w in weighted), Decimal(0))
    if not weighted or total_weight == 0:
        # Without weights the plain mean is the honest fallback.
        return sum((v for v, _ in pairs), Decimal(0)) / len(pairs)
    return sum((v * w for v, w in weighted), Decimal(0)) / total_weight
