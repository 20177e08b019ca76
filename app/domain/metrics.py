"""The metric dictionary: name, label, unit, level, timing, aggregation, sign and range of every metric.

One source of truth: forms, charts, the API's /metrics and CSV headers all read these definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from app.domain.numbers import format_bound

Level = Literal["site", "company", "network", "derived"]
Timing = Literal["total", "average", "month_end"]
Aggregation = Literal["sum", "weighted_mean", "none"]


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    label: str
    unit: str
    level: Level
    timing: Timing
    aggregation: Aggregation = "none"
    weight: str | None = None  # metric whose value weights the mean across sites
    decimals: int = 2
    formula: str | None = None  # derived metrics only
    lower_is_better: bool = False
    # Entry rules (stored metrics): the sign, then a plausible range. A value outside the range is almost
    # certainly a typo (a unit mix-up, a misplaced decimal point), not a physical impossibility.
    may_be_negative: bool = False
    bounds: tuple[Decimal, Decimal] | None = None  # (minimum, maximum)

    def __post_init__(self) -> None:
        if self.minimum is not None and self.minimum < 0 and not self.may_be_negative:
            raise ValueError(f"{self.name}: a negative minimum needs may_be_negative=True")

    @property
    def minimum(self) -> Decimal | None:
        return self.bounds[0] if self.bounds else None

    @property
    def maximum(self) -> Decimal | None:
        return self.bounds[1] if self.bounds else None


def _range(low: str | int, high: str | int) -> tuple[Decimal, Decimal]:
    return Decimal(low), Decimal(high)


_METRICS: tuple[Metric, ...] = (
    Metric("btc_mined", "BTC mined", "BTC", "site", "total", "sum", decimals=2, bounds=_range(0, 250_000)),
    Metric("hashrate_avg_ehs", "Average operating hashrate", "EH/s", "site", "average", "sum", bounds=_range(0, 5000)),
    Metric(
        "hashrate_end_ehs",
        "Operating hashrate at month end",
        "EH/s",
        "site",
        "month_end",
        "sum",
        bounds=_range(0, 5000),
    ),
    Metric("hashrate_deployed_ehs", "Deployed hashrate", "EH/s", "site", "month_end", "sum", bounds=_range(0, 5000)),
    Metric(
        "fleet_efficiency_jth",
        "Fleet efficiency",
        "J/TH",
        "site",
        "month_end",
        "weighted_mean",
        weight="hashrate_end_ehs",
        lower_is_better=True,
        bounds=_range(5, 60),
    ),
    Metric(
        "miners_deployed",
        "Miners deployed",
        "machines",
        "site",
        "month_end",
        "sum",
        decimals=0,
        bounds=_range(0, 10**7),
    ),
    Metric(
        "power_capacity_mw", "Power capacity", "MW", "site", "month_end", "sum", decimals=0, bounds=_range(0, 10**5)
    ),
    Metric("energy_mwh", "Energy consumed", "MWh", "site", "total", "sum", decimals=0, bounds=_range(0, 10**8)),
    Metric(
        "power_cost_usd_kwh",
        "All-in power cost",
        "USD/kWh",
        "site",
        "average",
        "weighted_mean",
        weight="energy_mwh",
        decimals=4,
        # Net of power sales and demand-response credits: below zero when the credits exceed the bill.
        may_be_negative=True,
        bounds=_range(-1, 1),
    ),
    Metric(
        "uptime_pct",
        "Uptime",
        "%",
        "site",
        "average",
        "weighted_mean",
        weight="hashrate_avg_ehs",
        decimals=1,
        bounds=_range(0, 100),
    ),
    Metric("curtailment_hours", "Curtailment", "h", "site", "total", "none", decimals=1, bounds=_range(0, 744)),
    Metric("power_credits_usd", "Power credits", "USD", "site", "total", "sum", decimals=0, bounds=_range(0, 10**15)),
    Metric(
        "btc_mined_total",
        "BTC mined (published company total)",
        "BTC",
        "company",
        "total",
        decimals=2,
        bounds=_range(0, 250_000),
    ),
    Metric("btc_held_end", "Treasury holdings", "BTC", "company", "month_end", decimals=0, bounds=_range(0, 10**7)),
    Metric("btc_sold", "BTC sold", "BTC", "company", "total", decimals=2, bounds=_range(0, 250_000)),
    Metric(
        "btc_sold_proceeds_usd", "Proceeds of BTC sold", "USD", "company", "total", decimals=0, bounds=_range(0, 10**15)
    ),
    # Network and market reference figures, one row per month shared by every company (what each is, not a
    # formula of other metrics: they are stored as their source publishes them).
    Metric(
        "network_hashrate_avg_ehs",
        "Network hashrate",
        "EH/s",
        "network",
        "average",
        decimals=1,
        formula="mean over the month's days of the difficulty-implied daily hashrate (Σ difficulty × 2³² / 86,400 s)",
    ),
    Metric(
        "network_difficulty_avg_t",
        "Network difficulty, monthly average",
        "T",
        "network",
        "average",
        decimals=2,
        formula="mean over the month's days of the daily mean block difficulty",
    ),
    Metric(
        "network_difficulty_t",
        "Network difficulty at month end",
        "T",
        "network",
        "month_end",
        decimals=2,
        formula="difficulty in force on the month's last day",
    ),
    Metric(
        "network_blocks",
        "Blocks mined on the network",
        "blocks",
        "network",
        "total",
        decimals=0,
        formula="blocks whose median-time-past falls in the month (UTC)",
    ),
    Metric(
        "network_subsidy_btc",
        "Block subsidy issued",
        "BTC",
        "network",
        "total",
        decimals=2,
        formula="Σ protocol block subsidy of the month's blocks",
    ),
    Metric(
        "network_fees_btc",
        "Transaction fees to miners",
        "BTC",
        "network",
        "total",
        decimals=2,
        formula="Σ transaction fees of the month's blocks",
    ),
    Metric(
        "btc_price_avg_usd",
        "Average BTC price",
        "USD",
        "network",
        "average",
        decimals=0,
        formula="mean of the month's daily BTC-USD closes",
    ),
    Metric(
        "btc_price_close_usd",
        "BTC price at month end",
        "USD",
        "network",
        "month_end",
        decimals=0,
        formula="BTC-USD close on the month's last day",
    ),
    Metric(
        "btc_per_day",
        "BTC mined per day",
        "BTC/day",
        "derived",
        "average",
        decimals=2,
        formula="btc_mined / days in month",
    ),
    Metric(
        "btc_per_ehs_day",
        "Production yield",
        "BTC per EH/s per day",
        "derived",
        "average",
        decimals=3,
        formula="btc_mined / hashrate_avg_ehs / days in month",
    ),
    Metric(
        "share_of_network_pct",
        "Share of network hashrate",
        "%",
        "derived",
        "average",
        decimals=2,
        formula=(
            "hashrate_avg_ehs / network_hashrate_avg_ehs × 100; in a month without a reported average hashrate, "
            "realized_hashrate_ehs / network_hashrate_avg_ehs × 100 (= btc_mined / (network_subsidy_btc + "
            "network_fees_btc) × 100), marked as such in its provenance"
        ),
    ),
    Metric(
        "utilization_pct",
        "Utilization",
        "%",
        "derived",
        "average",
        decimals=1,
        formula="hashrate_avg_ehs / hashrate_deployed_ehs × 100",
    ),
    Metric(
        "unallocated_btc",
        "BTC not allocated to a site",
        "BTC",
        "derived",
        "total",
        decimals=2,
        may_be_negative=True,
        formula="btc_mined_total − Σ sites' btc_mined",
    ),
    Metric(
        "treasury_residual_btc",
        "Treasury residual",
        "BTC",
        "derived",
        "month_end",
        decimals=2,
        may_be_negative=True,
        formula="btc_held_end − (previous btc_held_end + btc_mined_total − btc_sold)",
    ),
    Metric(
        "avg_sale_price_usd",
        "Average sale price",
        "USD/BTC",
        "derived",
        "average",
        decimals=0,
        formula="btc_sold_proceeds_usd / btc_sold",
    ),
    Metric(
        "hashprice_usd_per_ph_day",
        "Hashprice",
        "USD per PH/s per day",
        "derived",
        "average",
        decimals=2,
        formula=(
            "(network_subsidy_btc + network_fees_btc) / days in month / (network_hashrate_avg_ehs × 1,000) "
            "× btc_price_avg_usd"
        ),
    ),
    Metric(
        "treasury_value_usd",
        "Treasury value",
        "USD",
        "derived",
        "month_end",
        decimals=0,
        formula="btc_held_end × btc_price_close_usd",
    ),
    Metric(
        "mining_revenue_usd",
        "Mining revenue",
        "USD",
        "derived",
        "total",
        decimals=0,
        formula="btc_mined × btc_price_avg_usd",
    ),
    Metric(
        "realized_hashrate_ehs",
        "Realized hashrate",
        "EH/s",
        "derived",
        "average",
        decimals=2,
        formula="btc_mined / (network_subsidy_btc + network_fees_btc) × network_hashrate_avg_ehs",
    ),
    Metric(
        "realization_pct",
        "Realization",
        "%",
        "derived",
        "average",
        decimals=1,
        formula="realized_hashrate_ehs / hashrate_avg_ehs × 100",
    ),
)

METRICS: dict[str, Metric] = {m.name: m for m in _METRICS}
SITE_METRICS: tuple[str, ...] = tuple(m.name for m in _METRICS if m.level == "site")
COMPANY_METRICS: tuple[str, ...] = tuple(m.name for m in _METRICS if m.level == "company")
NETWORK_METRICS: tuple[str, ...] = tuple(m.name for m in _METRICS if m.level == "network")
DERIVED_METRICS: tuple[str, ...] = tuple(m.name for m in _METRICS if m.level == "derived")
# Operating figures a company may publish as its own total, without a site split.
COMPANY_OPERATING_METRICS: tuple[str, ...] = (
    "hashrate_avg_ehs",
    "hashrate_end_ehs",
    "hashrate_deployed_ehs",
    "fleet_efficiency_jth",
    "miners_deployed",
    "power_capacity_mw",
)


def check_value(name: str, value: Decimal | int) -> str | None:
    """The dictionary's sign and range rule for one entered value: None, or a message naming the metric."""
    spec = METRICS[name]
    if value < 0 and not spec.may_be_negative:
        return f"{spec.label} cannot be negative ({format_bound(value)} {spec.unit} was entered)"
    low, high = spec.minimum, spec.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        if low is None or high is None:
            bound = f"at least {format_bound(low)}" if low is not None else f"at most {format_bound(high or 0)}"
            return f"{spec.label} must be {bound} {spec.unit}"
        return f"{spec.label} must be between {format_bound(low)} and {format_bound(high)} {spec.unit}"
    return None
