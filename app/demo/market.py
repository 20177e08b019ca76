"""Demo data: the network and market reference (data/network_monthly.csv) and the quoted figures it is checked
against (data/network_quotes.csv).

How the two combine (also in data/README.md):

* The reference file is complete from 2020-01 and sourced per column group (its `sources` column): it is the
  only source of stored network figures. Each figure keeps its source, link and licence.
* The quoted figures (news pages citing one number, some unverified) are not stored as figures. Each is kept
  as a cross-check on the reference figure of the same month and metric, so the data-sources page can show
  where they agree and where they differ. The difficulty quotes are readings at a moment of the month (a
  retarget, "currently"), the stored figure is the difficulty at month end: most differences are that.
* A month or column the reference file leaves empty stays empty (2026-02 has prices only); a quote never
  fills it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.demo.figures import DemoDataError, read_figures
from app.domain.network_sources import figure_source
from app.schemas.network import parse_network_csv

# Quote metric -> the stored figure it is compared with.
QUOTED_AS = {"difficulty_t": "network_difficulty_t", "network_hashrate_avg_ehs": "network_hashrate_avg_ehs"}


def reference_months(path: Path) -> dict[dt.date, dict[str, Any]]:
    """period -> {"values": {metric: value}, "sources": {metric: provenance entry}} from the reference file."""
    parsed = parse_network_csv(path.read_bytes())
    problems = parsed.errors + [f"line {r.line}: {e}" for r in parsed.rows for e in r.errors]
    if problems:
        raise DemoDataError(f"{path.name}: " + "; ".join(problems[:5]))
    out: dict[dt.date, dict[str, Any]] = {}
    for row in parsed.rows:
        assert row.period is not None
        values: dict[str, Decimal | int | None] = dict(row.values)
        blocks = row.values.get("network_blocks")
        if blocks is not None:
            values["network_blocks"] = int(blocks)
        sources = {
            name: figure_source(keys) for name, keys in row.sources.items() if values.get(name) is not None and keys
        }
        out[row.period] = {"values": values, "sources": sources}
    return out


def attach_quotes(months: dict[dt.date, dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    """Add each quoted figure to the matching reference figure's provenance as a cross-check.

    Returns the quotes that found no reference figure (they are not loaded; the data README lists them).
    """
    unmatched: list[dict[str, Any]] = []
    by_key: dict[tuple[dt.date, str], list[dict[str, Any]]] = defaultdict(list)
    for figure in read_figures(path):
        if figure.metric not in QUOTED_AS:
            raise DemoDataError(f"{path.name}: unknown quoted metric {figure.metric!r} in {figure.period}")
        year, month = figure.period.split("-")
        period = dt.date(int(year), int(month), 1)
        by_key[(period, QUOTED_AS[figure.metric])].append(
            {
                "value": figure.value,
                "source_url": figure.source_url or None,
                "quote": figure.quote,
                "is_estimate": figure.is_estimate,
            }
        )
    for (period, metric), quotes in sorted(by_key.items()):
        found = months.get(period)
        entry = found["sources"].get(metric) if found else None
        if entry is None:
            unmatched.extend({"period": period, "metric": metric, **q} for q in quotes)
            continue
        entry["cross_checks"] = quotes
    return unmatched
