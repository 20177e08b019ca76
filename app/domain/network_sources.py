"""The sources a network reference file may name, and how its `sources` column maps to metrics (pure data).

A reference file (data/network_monthly.csv, or an operator's own in the same layout) says per month which
source fed each group of columns: ``blk/sub/fee=CM;diff/hash=RPC+CM;px=YF``. Each key names one entry of
`SOURCES`; ``+`` joins keys when several fed one group. Keys not listed here are kept as written (an
operator's own node or price feed) with no link.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.domain.metrics import NETWORK_METRICS


@dataclass(frozen=True, slots=True)
class ReferenceSource:
    key: str
    name: str
    what: str
    url: str | None
    licence: str
    attribution: str  # the line shown next to figures from this source
    non_commercial: bool = False


# Where a group name in the `sources` column points.
GROUPS: dict[str, tuple[str, ...]] = {
    "blk/sub/fee": ("network_blocks", "network_subsidy_btc", "network_fees_btc"),
    "diff/hash": ("network_difficulty_avg_t", "network_difficulty_t", "network_hashrate_avg_ehs"),
    "px": ("btc_price_avg_usd", "btc_price_close_usd"),
}

GROUP_LABELS: dict[str, str] = {
    "blk/sub/fee": "blocks, subsidy, fees",
    "diff/hash": "difficulty, hashrate",
    "px": "BTC price (average, month-end close)",
}

SOURCES: dict[str, ReferenceSource] = {
    s.key: s
    for s in (
        ReferenceSource(
            "CM",
            "Coin Metrics community data",
            "daily BTC block count, mean difficulty, fees, issuance, hashrate (2020-01 to 2025-09), via a "
            "third-party copy of the community API",
            "https://github.com/Hakimaxxxx/Haki_Crypto2025/blob/75fca56a4ed2a982fb74abc8dbb9c542b9e38591/"
            "coin_data/btc_onchain_metrics_cm.csv",
            "CC BY-NC 4.0",
            "Source: Coin Metrics community data (CC BY-NC 4.0, non-commercial)",
            non_commercial=True,
        ),
        ReferenceSource(
            "CMX",
            "Coin Metrics community data (coinmetrics/data)",
            "28 daily rows copied from Coin Metrics' own repository (Oct to Dec 2025 hashrate)",
            "https://github.com/coinmetrics/data/blob/cb3f32cc6c5045d5574e730a7c9784d58965629e/csv/btc.csv",
            "CC BY-NC 4.0",
            "Source: Coin Metrics community data (CC BY-NC 4.0, non-commercial)",
            non_commercial=True,
        ),
        ReferenceSource(
            "RPC",
            "Bitcoin node block statistics",
            "per-block getblockstats output (blocks 909,458 to 934,575): blocks, subsidy, fees",
            "https://github.com/m-marqx/BTC-RPC-Data/tree/34548a531d0438d4e2b5197801f9ce89521d5cd0/"
            "data/onchain/BTC/block_stats_fragments",
            "MIT (© 2025 Mateus Marques)",
            "Source: Bitcoin node block statistics (BTC-RPC-Data, MIT)",
        ),
        ReferenceSource(
            "Q",
            "Quoted retarget difficulties",
            "two retarget difficulties (146.47 T at block 931,392; 141.67 T at 933,408) quoted from a news page",
            "https://miningnews.live/en/article/bitcoin-difficulty-drop-january-2026",
            "facts quoted with their source",
            "Difficulty partly from quoted retarget values",
        ),
        ReferenceSource(
            "YF",
            "Yahoo Finance BTC-USD daily closes",
            "daily closes collected with yfinance by a third-party repository (2020-01 to 2026-03)",
            "https://github.com/jonsflow/risk-divergence/blob/56e053be2c81d2747028d7daa98ac5c1077fea51/data/btc.csv",
            "no licence; Yahoo's terms restrict redistribution: reference data only",
            "Prices: Yahoo Finance BTC-USD closes (reference only)",
        ),
    )
}


def parse_sources(text: str) -> tuple[dict[str, str], list[str]]:
    """``blk/sub/fee=CM;px=YF`` -> {metric: "CM", ...} and a list of problems (unknown groups, bad parts).

    A group may also be a metric name itself (``network_fees_btc=MyNode``).
    """
    out: dict[str, str] = {}
    problems: list[str] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        group, sep, keys = part.partition("=")
        group, keys = group.strip(), keys.strip()
        if not sep or not keys:
            problems.append(f"sources: {part!r} is not group=KEY")
            continue
        names = GROUPS.get(group) or ((group,) if group in NETWORK_METRICS else None)
        if names is None:
            problems.append(f"sources: unknown group {group!r} (use {', '.join(GROUPS)} or a metric name)")
            continue
        for name in names:
            out[name] = keys
    return out, problems


def format_sources(per_metric: dict[str, str]) -> str:
    """The inverse of parse_sources: a group where all its metrics share the keys, else metric by metric."""
    parts: list[str] = []
    done: set[str] = set()
    for group, names in GROUPS.items():
        keys = {per_metric.get(n) for n in names}
        if len(keys) == 1 and None not in keys:
            parts.append(f"{group}={per_metric[names[0]]}")
            done.update(names)
    parts += [f"{n}={k}" for n, k in per_metric.items() if n not in done]
    return ";".join(parts)


def keys_of(combined: str) -> list[str]:
    return [k.strip() for k in combined.split("+") if k.strip()]


def figure_source(combined: str) -> dict[str, Any]:
    """The per-figure provenance entry stored for a figure fed by `combined` (``RPC+CMX+Q``)."""
    known = [SOURCES[k] for k in keys_of(combined) if k in SOURCES]
    entry: dict[str, Any] = {"source": combined, "is_estimate": False}
    urls = [s.url for s in known if s.url]
    if urls:
        entry["source_url"] = urls[0]
    if known:
        entry["quote"] = "; ".join(dict.fromkeys(s.attribution for s in known))
        entry["licence"] = "; ".join(dict.fromkeys(f"{s.key}: {s.licence}" for s in known))
    if any(s.non_commercial for s in known):
        entry["non_commercial"] = True
    return entry


def used_keys(entries: Iterable[dict[str, Any]]) -> dict[str, int]:
    """How many figures cite each source key (for the data-sources page)."""
    counts: dict[str, int] = {}
    for entry in entries:
        for key in keys_of(str(entry.get("source") or "")):
            counts[key] = counts.get(key, 0) + 1
    return counts


# Within this, a quoted figure agrees with the stored one (quotes are rounded: "785 EH/s", "110.57 T").
AGREES_WITHIN_PCT = Decimal(1)


def cross_check_rows(rows: Sequence[tuple[dt.date, dict[str, Any], dict[str, Any]]]) -> list[dict[str, Any]]:
    """Quoted figure vs stored figure, for the data-sources page: (period, values, figure_sources) per month."""
    out: list[dict[str, Any]] = []
    for period, values, sources in rows:
        for metric, entry in sorted(sources.items()):
            for quote in entry.get("cross_checks") or ():
                stored = values.get(metric)
                quoted = Decimal(str(quote["value"]))
                diff = None if stored in (None, 0) else (quoted - Decimal(stored)) / Decimal(stored) * 100
                out.append(
                    {
                        "period": period,
                        "metric": metric,
                        "quoted": quoted,
                        "stored": stored,
                        "difference_pct": diff,
                        "agrees": diff is not None and abs(diff) <= AGREES_WITHIN_PCT,
                        "source_url": quote.get("source_url"),
                        "quote": quote.get("quote"),
                        "is_estimate": quote.get("is_estimate", False),
                    }
                )
    return out


def source_runs(rows: Sequence[tuple[dt.date, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per column group, the runs of consecutive months fed by the same source: where each figure came from."""
    out: list[dict[str, Any]] = []
    for group, names in (
        ("blocks, subsidy, fees", GROUPS["blk/sub/fee"]),
        ("difficulty, hashrate", GROUPS["diff/hash"]),
        ("BTC price", GROUPS["px"]),
    ):
        runs: list[dict[str, Any]] = []
        for period, sources in sorted(rows, key=lambda r: r[0]):
            keys = {str((sources.get(n) or {}).get("source") or "") for n in names if n in sources}
            key = "+".join(sorted(k for k in keys if k)) if len(keys) > 1 else next(iter(keys), "")
            if not key:
                continue
            if runs and runs[-1]["source"] == key and _next_month(runs[-1]["last"]) == period:
                runs[-1]["last"] = period
                runs[-1]["months"] += 1
            else:
                runs.append({"group": group, "source": key, "first": period, "last": period, "months": 1})
        out.extend(runs)
    return out


def _next_month(period: dt.date) -> dt.date:
    return dt.date(period.year + period.month // 12, period.month % 12 + 1, 1)
