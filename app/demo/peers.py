"""Demo data: other listed miners' monthly figures (data/peers_monthly.csv), company level only.

Rules applied (also in data/README.md):

* Every figure keeps its page, quote and the release's own wording of the unit.
* Site rows (WULF Lake Mariner and Nautilus, BTDR Bhutan, MARA's Abu Dhabi JV) are not loaded: they are not
  a full split, and no site is invented for a peer.
* Hashrate terms: average operating -> `hashrate_avg_ehs`, operating at month end -> `hashrate_end_ehs`,
  energized (MARA's and Core Scientific's headline) or else installed -> `hashrate_deployed_ehs`.
  IREN's 2021-22 average hashrate published in PH/s is converted to EH/s (÷ 1,000), and says so.
  IREN's 2021-12 "operating hashrate" (neither average nor month end) and MARA's blocks won and BTC/day are
  not stored metrics and are left out.
* Two rows for one figure: `CHOSEN_PEERS` names the one used and why; any other stops the load.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.demo.figures import DemoDataError, Figure, _pick, month_of

# Read like read_figures, plus the `company` and `site` columns.


@dataclass(frozen=True, slots=True)
class Peer:
    ticker: str
    slug: str
    name: str
    fiscal_year_end_month: int
    website_url: str | None = None


PEERS: dict[str, Peer] = {
    p.ticker: p
    for p in (
        Peer("MARA", "mara", "MARA Holdings", 12),
        Peer("IREN", "iren", "IREN", 6),  # fiscal year ends 30 June
        Peer("BITF", "bitfarms", "Bitfarms", 12),
        Peer("CORZ", "core-scientific", "Core Scientific", 12),
        Peer("CIFR", "cipher-mining", "Cipher Mining", 12),
        Peer("HIVE", "hive", "HIVE Digital Technologies", 3),  # fiscal year ends 31 March
        Peer("WULF", "terawulf", "TeraWulf", 12),
        Peer("BTDR", "bitdeer", "Bitdeer", 12),
        Peer("HUT", "hut-8", "Hut 8", 12),
    )
}

# CSV metric -> (CompanyMonth column, divisor to the stored unit).
COLUMNS: dict[str, tuple[str, Decimal]] = {
    "btc_mined": ("btc_mined_total", Decimal(1)),
    "btc_held_end": ("btc_held_end", Decimal(1)),
    "btc_sold": ("btc_sold", Decimal(1)),
    "hashrate_operating_avg_ehs": ("hashrate_avg_ehs", Decimal(1)),
    "hashrate_operating_avg_phs": ("hashrate_avg_ehs", Decimal(1000)),
    "hashrate_operating_end_ehs": ("hashrate_end_ehs", Decimal(1)),
    "hashrate_energized_end_ehs": ("hashrate_deployed_ehs", Decimal(1)),
    "hashrate_installed_end_ehs": ("hashrate_deployed_ehs", Decimal(1)),
    "fleet_efficiency_jth": ("fleet_efficiency_jth", Decimal(1)),
    "miners_deployed": ("miners_deployed", Decimal(1)),
}
LEFT_OUT = {"blocks_won", "btc_mined_daily_avg", "hashrate_operating_phs"}
# Where energized and installed are both given for a month, energized is the headline series.
DEPLOYED_ORDER = ("hashrate_energized_end_ehs", "hashrate_installed_end_ehs")

CHOSEN_PEERS: dict[tuple[str, str], tuple[str, str]] = {
    ("2024-09", "MARA:hashrate_energized_end_ehs"): (
        "36.9",
        "MARA's own September release; 35.2 comes from an aggregator describing October's growth",
    ),
    ("2024-05", "CORZ:btc_mined"): (
        "447",
        "Core Scientific's release summary (self-mined); 448 is an analyst table",
    ),
}


@dataclass(frozen=True, slots=True)
class PeerFigure:
    company: str
    site: str
    figure: Figure


def read_peer_figures(path: Path) -> list[PeerFigure]:
    import csv

    with path.open(newline="", encoding="utf-8") as fh:
        return [
            PeerFigure(
                company=row["company"].strip(),
                site=(row.get("site") or "").strip(),
                figure=Figure(
                    period=row["period"].strip(),
                    metric=row["metric"].strip(),
                    value=row["value"].strip(),
                    unit=row.get("unit") or "",
                    source_url=(row.get("source_url") or "").strip(),
                    quote=row.get("quote") or "",
                ),
            )
            for row in csv.DictReader(fh)
        ]


def peer_months(path: Path) -> dict[str, dict[dt.date, dict[str, Any]]]:
    """ticker -> period -> {"values": {column: value}, "sources": {column: provenance}} (company level only)."""
    grouped: dict[tuple[str, str, str], list[Figure]] = defaultdict(list)
    for row in read_peer_figures(path):
        if row.company not in PEERS:
            raise DemoDataError(f"{path.name}: unknown company {row.company!r}")
        if row.site or row.figure.metric in LEFT_OUT:
            continue
        if row.figure.metric not in COLUMNS:
            raise DemoDataError(
                f"{path.name}: unknown metric {row.figure.metric!r} ({row.company} {row.figure.period})"
            )
        grouped[(row.company, row.figure.period, row.figure.metric)].append(row.figure)
    out: dict[str, dict[dt.date, dict[str, Any]]] = defaultdict(dict)
    for (ticker, period_text, metric), figures in sorted(grouped.items(), key=_deployed_last):
        # _pick names contradictions by (period, metric); the company goes into the metric for peers.
        keyed = [Figure(f.period, f"{ticker}:{f.metric}", f.value, f.unit, f.source_url, f.quote) for f in figures]
        chosen = _pick(keyed, CHOSEN_PEERS)
        column, divisor = COLUMNS[metric]
        month = out[ticker].setdefault(month_of(period_text), {"values": {}, "sources": {}})
        if column in month["values"]:
            continue  # installed where energized was given: the energized figure stays (DEPLOYED_ORDER)
        value = Decimal(chosen.value) / divisor
        month["values"][column] = int(value) if column == "miners_deployed" else value
        provenance = {
            "source_url": chosen.source_url or None,
            "quote": chosen.quote,
            "is_estimate": chosen.is_estimate,
            "unit": chosen.unit + (" (converted to EH/s)" if divisor != 1 else ""),
        }
        if (period_text, f"{ticker}:{metric}") in CHOSEN_PEERS:
            provenance["chosen_because"] = CHOSEN_PEERS[(period_text, f"{ticker}:{metric}")][1]
        month["sources"][column] = provenance
    return out


def _deployed_last(item: tuple[tuple[str, str, str], list[Figure]]) -> tuple[str, str, int, str]:
    ticker, period, metric = item[0]
    rank = DEPLOYED_ORDER.index(metric) if metric in DEPLOYED_ORDER else -1
    return ticker, period, rank, metric
