"""The derived metrics of one month, computed from the figures that exist (pure: no database, no request).

A derived figure needs every input: a missing input gives a missing result, never one computed from a zero or
a guess. Where the dictionary allows a second route (the share of network without a reported average
hashrate), the month records which route it took (its `basis`), and the provenance says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import MutableMapping
from decimal import Decimal

from app.domain import formulas

Value = Decimal | int | None

REALIZED_SHARE_BASIS = (
    "Via realized hashrate: no average hashrate reported this month, so BTC mined ÷ BTC issued to the network"
)

# Which figures a derived metric is computed from: its provenance is theirs.
DERIVED_INPUTS: dict[str, tuple[str, ...]] = {
    "btc_per_day": ("btc_mined",),
    "btc_per_ehs_day": ("btc_mined", "hashrate_avg_ehs"),
    "share_of_network_pct": ("hashrate_avg_ehs", "network_hashrate_avg_ehs"),
    "utilization_pct": ("hashrate_avg_ehs", "hashrate_deployed_ehs"),
    "unallocated_btc": ("btc_mined_total",),
    "treasury_residual_btc": ("btc_held_end", "btc_mined_total", "btc_sold"),
    "avg_sale_price_usd": ("btc_sold_proceeds_usd", "btc_sold"),
    "hashprice_usd_per_ph_day": (
        "network_subsidy_btc",
        "network_fees_btc",
        "network_hashrate_avg_ehs",
        "btc_price_avg_usd",
    ),
    "treasury_value_usd": ("btc_held_end", "btc_price_close_usd"),
    "mining_revenue_usd": ("btc_mined", "btc_price_avg_usd"),
    "realized_hashrate_ehs": ("btc_mined", "network_subsidy_btc", "network_fees_btc", "network_hashrate_avg_ehs"),
    "realization_pct": (
        "btc_mined",
        "network_subsidy_btc",
        "network_fees_btc",
        "network_hashrate_avg_ehs",
        "hashrate_avg_ehs",
    ),
}
# The inputs of the second route, where a month took it.
ALTERNATIVE_INPUTS: dict[str, tuple[str, ...]] = {
    "share_of_network_pct": ("btc_mined", "network_subsidy_btc", "network_fees_btc"),
}


def _dec(value: Value) -> Decimal | None:
    if value is None:
        return None
    return value if type(value) is Decimal else Decimal(value)


def issued_btc(subsidy: Value, fees: Value) -> Decimal | None:
    """BTC issued to the network's miners in the month: subsidy plus fees (both needed)."""
    s, f = _dec(subsidy), _dec(fees)
    return None if s is None or f is None else s + f


def hashprice(
    subsidy: Value, fees: Value, network_hashrate_ehs: Value, price_avg: Value, period: dt.date
) -> Decimal | None:
    """USD one PH/s earned per day in the month: block reward in USD per PH/s per day."""
    issued = issued_btc(subsidy, fees)
    hashrate, price = _dec(network_hashrate_ehs), _dec(price_avg)
    if issued is None or hashrate is None or price is None or hashrate == 0:
        return None
    return issued / formulas.days_in_month(period) / (hashrate * 1000) * price


def realized_hashrate(btc_mined: Value, subsidy: Value, fees: Value, network_hashrate_ehs: Value) -> Decimal | None:
    """The hashrate the month's output implies: the miner's share of issued BTC times the network's hashrate."""
    issued = issued_btc(subsidy, fees)
    mined, hashrate = _dec(btc_mined), _dec(network_hashrate_ehs)
    if mined is None or issued is None or hashrate is None or issued == 0:
        return None
    return mined / issued * hashrate


def product(a: Value, b: Value) -> Decimal | None:
    x, y = _dec(a), _dec(b)
    return None if x is None or y is None else x * y


def derive(values: MutableMapping[str, Decimal | None], period: dt.date) -> dict[str, str]:
    """Fill in every derived metric computed from one month's figures; returns the basis of any that took a
    second route (metric -> why). Unallocated BTC and the treasury residual need more than one month's
    figures or the site rows and are left to the caller."""
    get = values.get
    mined = get("btc_mined")
    avg = get("hashrate_avg_ehs")
    network = get("network_hashrate_avg_ehs")
    subsidy, fees = get("network_subsidy_btc"), get("network_fees_btc")
    values["btc_per_day"] = formulas.btc_per_day(mined, period)
    values["btc_per_ehs_day"] = formulas.btc_per_ehs_day(mined, avg, period)
    values["utilization_pct"] = formulas.percent(avg, get("hashrate_deployed_ehs"))
    values["avg_sale_price_usd"] = formulas.avg_sale_price(get("btc_sold_proceeds_usd"), get("btc_sold"))
    values["hashprice_usd_per_ph_day"] = hashprice(subsidy, fees, network, get("btc_price_avg_usd"), period)
    values["treasury_value_usd"] = product(get("btc_held_end"), get("btc_price_close_usd"))
    values["mining_revenue_usd"] = product(mined, get("btc_price_avg_usd"))
    realized = realized_hashrate(mined, subsidy, fees, network)
    values["realized_hashrate_ehs"] = realized
    values["realization_pct"] = formulas.percent(realized, avg)
    basis: dict[str, str] = {}
    share = formulas.percent(avg, _dec(network))
    if avg is None and realized is not None:
        # realized ÷ network hashrate × 100, written without the hashrate that cancels out.
        share = formulas.percent(_dec(mined), issued_btc(subsidy, fees))
        basis["share_of_network_pct"] = REALIZED_SHARE_BASIS
    values["share_of_network_pct"] = share
    return basis


def inputs_of(metric: str, basis: dict[str, str]) -> tuple[str, ...]:
    """The figures a derived metric of a month was computed from, following the route the month took."""
    if metric in basis and metric in ALTERNATIVE_INPUTS:
        return ALTERNATIVE_INPUTS[metric]
    return DERIVED_INPUTS.get(metric, ())
