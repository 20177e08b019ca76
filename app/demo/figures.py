"""Demo data: CleanSpark's published monthly figures, read from data/cleanspark_monthly.csv (the network
reference is app.demo.market, the other miners app.demo.peers).

Every figure keeps the page it came from and the quote that states it. Rules applied:

* Figures whose page could not be found again (``unverified (from notes)``) are stored as estimates.
* Where two rows give the same figure for the same month, ``CHOSEN`` below names the one used and why;
  any other duplicate stops the load rather than picking one silently.
* ``note`` rows that describe something that happened (storms, hurricane shutdowns, curtailment) become
  events; the other notes (quarter totals, daily highs) become the month's note text, and sale proceeds
  become ``btc_sold_proceeds_usd``.
* CleanSpark publishes no per-site split. So the site charts have something to show, an illustrative split
  is generated: deterministic, summing exactly to the published totals, and flagged ``is_illustrative``.
* Loading twice changes nothing: rows are matched on their natural keys and only filled where different.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

from app.domain.enums import EventKind

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
UNVERIFIED = "unverified (from notes)"
SEED_SOURCE = "seed"

# CSV metric name -> CompanyMonth column.
COMPANY_COLUMNS = {
    "btc_mined": "btc_mined_total",
    "btc_held_end": "btc_held_end",
    "btc_sold": "btc_sold",
    "hashrate_operating_avg_ehs": "hashrate_avg_ehs",
    "hashrate_operating_end_ehs": "hashrate_end_ehs",
    "fleet_efficiency_jth": "fleet_efficiency_jth",
    "miners_deployed": "miners_deployed",
    "contracted_power_mw": "power_capacity_mw",
}
# Published but derived from other figures we store (BTC/day) or not a stored metric: kept out.
IGNORED_METRICS = {"btc_mined_daily_avg", "btc_sold_avg_price_usd", "utilized_power_mw"}

# Contradicting figures: (period, metric) -> (value used, why).
CHOSEN: dict[tuple[str, str], tuple[str, str]] = {
    ("2023-09", "btc_held_end"): (
        "2240",
        "monthly update (the headline series); the 10-K's 2,243 is a different series",
    ),
    ("2024-09", "btc_held_end"): (
        "8049",
        "monthly update; the 10-K's 6,819 leaves out 1,229 BTC posted as collateral",
    ),
    ("2025-06", "btc_held_end"): (
        "12608",
        "monthly update; the 10-Q's 10,075 leaves out pledged and receivable bitcoin",
    ),
    ("2025-09", "btc_held_end"): (
        "13011",
        "monthly update; the 10-K's 10,428 leaves out pledged and receivable bitcoin",
    ),
    ("2025-01", "btc_mined"): ("626", "both rows agree; the press source is kept over the brief's summary"),
    ("2024-09", "hashrate_operating_end_ehs"): (
        "27.6",
        "month-end figure of the annual report; 22 EH/s was a reading during the Hurricane Helene "
        "shutdown (recorded as an event)",
    ),
    ("2024-10", "hashrate_operating_end_ehs"): (
        "31.3",
        "month-end energized hashrate of the monthly update; 31.5 is the 10-K's capability figure",
    ),
    ("2025-06", "fleet_efficiency_jth"): (
        "16.15",
        "monthly update; 16.07 comes from an AI-generated article and matches September's figure",
    ),
    ("2025-09", "fleet_efficiency_jth"): (
        "16.07",
        "monthly update (the series every other month comes from); the 10-K rounds to 16.7",
    ),
    ("2025-09", "contracted_power_mw"): (
        "1030",
        "monthly update (the series every other month comes from); the 10-K says about 1,027",
    ),
}
SITES: tuple[dict[str, Any], ...] = (
    {
        "slug": "georgia",
        "name": "Georgia",
        "region": "Georgia, US",
        "capacity_mw": Decimal("600"),
        "energized_on": dt.date(2021, 1, 1),
    },
    {
        "slug": "wyoming",
        "name": "Wyoming",
        "region": "Wyoming, US",
        "capacity_mw": Decimal("75"),
        "energized_on": dt.date(2024, 7, 1),
    },
    {
        "slug": "tennessee",
        "name": "Tennessee",
        "region": "Tennessee, US",
        "capacity_mw": Decimal("400"),
        "energized_on": dt.date(2024, 10, 1),
    },
)
# Illustrative shares of the published totals, by the first month they apply from. Invented, in the
# spirit of the sites' dates (Wyoming from mid-2024, Tennessee with GRIID from October 2024).
ILLUSTRATIVE_SHARES: tuple[tuple[dt.date, dict[str, Decimal]], ...] = (
    (dt.date(2000, 1, 1), {"georgia": Decimal("1")}),
    (dt.date(2024, 7, 1), {"georgia": Decimal("0.9"), "wyoming": Decimal("0.1")}),
    (
        dt.date(2024, 10, 1),
        {"georgia": Decimal("0.62"), "tennessee": Decimal("0.28"), "wyoming": Decimal("0.1")},
    ),
)
ILLUSTRATIVE_NOTE = "Illustrative split of the published company total; CleanSpark does not publish figures by site."
SPLIT_METRICS = {
    "btc_mined_total": ("btc_mined", Decimal("0.00000001")),
    "hashrate_avg_ehs": ("hashrate_avg_ehs", Decimal("0.000001")),
    "hashrate_end_ehs": ("hashrate_end_ehs", Decimal("0.000001")),
    "miners_deployed": ("miners_deployed", Decimal("1")),
}


@dataclass(frozen=True, slots=True)
class EventSpec:
    match: str  # text in the note's unit that identifies it
    date: dt.date
    title: str
    kind: EventKind
    site: str | None = None


EVENT_NOTES: tuple[EventSpec, ...] = (
    # Winter Storm Elliott hit the south-east US on 23-26 December 2022.
    EventSpec("Winter Storm Elliott", dt.date(2022, 12, 23), "Winter Storm Elliott curtailment", EventKind.weather),
    EventSpec(
        "MW shut down in SE Georgia for Hurricane Helene",
        dt.date(2024, 9, 27),
        "Hurricane Helene: 365 MW shut down in Georgia",
        EventKind.weather,
        site="georgia",
    ),
)
HALVING = {
    "date": dt.date(2024, 4, 20),
    "title": "Fourth bitcoin halving (block 840,000): subsidy 6.25 → 3.125 BTC",
    "kind": EventKind.halving,
    "source_url": "https://en.bitcoin.it/wiki/Controlled_supply",
}


@dataclass(frozen=True, slots=True)
class Figure:
    period: str
    metric: str
    value: str
    unit: str
    source_url: str
    quote: str

    @property
    def is_estimate(self) -> bool:
        return self.quote.strip() == UNVERIFIED or not self.source_url

    def provenance(self) -> dict[str, Any]:
        url = None if self.source_url in ("", SEED_SOURCE) else self.source_url
        return {"source_url": url, "quote": self.quote, "is_estimate": self.is_estimate, "unit": self.unit}


class DemoDataError(ValueError):
    """The CSV files contain something the loader was not told how to handle."""


def read_figures(path: Path) -> list[Figure]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [
            Figure(
                period=row["period"],
                metric=row["metric"],
                value=row["value"].strip(),
                unit=row.get("unit", "") or "",
                source_url=(row.get("source_url") or "").strip(),
                quote=row.get("quote") or "",
            )
            for row in csv.DictReader(fh)
        ]


def _pick(figures: list[Figure], chosen: dict[tuple[str, str], tuple[str, str]]) -> Figure:
    first = figures[0]
    if len(figures) == 1:
        return first
    key = (first.period, first.metric)
    if key not in chosen:
        values = ", ".join(f.value for f in figures)
        raise DemoDataError(f"{key[0]} {key[1]}: contradicting values {values} and no rule says which to use")
    wanted = Decimal(chosen[key][0])
    matches = [f for f in figures if Decimal(f.value) == wanted]
    if not matches:
        raise DemoDataError(f"{key[0]} {key[1]}: the chosen value {wanted} is not in the data")
    # Prefer a real page over the brief's summary when both state the same number.
    matches.sort(key=lambda f: f.source_url in ("", SEED_SOURCE))
    return matches[0]


def month_of(text: str) -> dt.date:
    year, month = text.split("-")
    return dt.date(int(year), int(month), 1)


def share_of(period: dt.date) -> dict[str, Decimal]:
    current = ILLUSTRATIVE_SHARES[0][1]
    for start, shares in ILLUSTRATIVE_SHARES:
        if period >= start:
            current = shares
    return current


def split_total(total: Decimal, shares: dict[str, Decimal], step: Decimal) -> dict[str, Decimal]:
    """Split a total by shares, rounded down to `step`; the rounding remainder goes to the largest share,
    so the parts always add up to the total exactly."""
    parts = {slug: (total * share).quantize(step, rounding=ROUND_DOWN) for slug, share in shares.items()}
    largest = max(shares, key=lambda s: shares[s])
    parts[largest] += total - sum(parts.values(), Decimal(0))
    return parts


def company_months(
    figures: list[Figure],
) -> tuple[dict[str, dict[str, Any]], list[tuple[Figure, EventSpec]]]:
    grouped: dict[tuple[str, str], list[Figure]] = defaultdict(list)
    months: dict[str, dict[str, Any]] = defaultdict(lambda: {"values": {}, "sources": {}, "notes": []})
    events: list[tuple[Figure, EventSpec]] = []
    for f in figures:
        if f.metric == "note":
            spec = next((e for e in EVENT_NOTES if e.match in f.unit), None)
            if spec is not None:
                events.append((f, spec))
            elif "BTC sale proceeds" in f.unit or "BTC sale revenue" in f.unit:
                grouped[(f.period, "btc_sold_proceeds_usd")].append(f)
            else:
                months[f.period]["notes"].append(f"{f.value} {f.unit}".strip())
            continue
        if f.metric in IGNORED_METRICS:
            continue
        if f.metric not in COMPANY_COLUMNS:
            raise DemoDataError(f"unknown metric {f.metric!r} in {f.period}")
        grouped[(f.period, f.metric)].append(f)
    for (period, metric), rows in grouped.items():
        if metric == "btc_sold_proceeds_usd":
            chosen = rows[0]
            value = Decimal(chosen.value) * Decimal(1_000_000)
            column = metric
        else:
            chosen = _pick(rows, CHOSEN)
            value = Decimal(chosen.value)
            column = COMPANY_COLUMNS[metric]
        months[period]["values"][column] = int(value) if column == "miners_deployed" else value
        provenance = chosen.provenance()
        if (period, metric) in CHOSEN:
            provenance["chosen_because"] = CHOSEN[(period, metric)][1]
        months[period]["sources"][column] = provenance
    return months, events
