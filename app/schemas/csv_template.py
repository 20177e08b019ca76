"""A company's import template (wide or long) and the list of accepted metric names the import page shows.

The template has the company's own sites, every metric its rows take and empty cells: imported unchanged it
changes nothing (an empty cell keeps what is stored), filled in it is a month's release.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence

from app.domain.csvio import safe_cell
from app.domain.metrics import METRICS
from app.domain.numbers import format_bound, is_usd
from app.schemas import format_period
from app.schemas.csv_months import (
    ALL_METRICS,
    COMPANY_FIELDS,
    COMPANY_ONLY,
    HASHRATE,
    PROVENANCE,
    SITE_FIELDS,
    SITE_ONLY,
    export_columns,
)

LAYOUTS = ("wide", "long")
LONG_COLUMNS = ("period", "site", "metric", "value", "unit", "source_url", "note", "is_estimate")


def template_csv(period: dt.date, site_slugs: Sequence[str], layout: str = "wide") -> str:
    """Header and one empty row per site (then the company row) of one month; long: one line per figure."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    month = format_period(period)
    rows: list[tuple[str, tuple[str, ...]]] = [(slug, SITE_FIELDS) for slug in site_slugs]
    rows.append(("", COMPANY_FIELDS))
    if layout == "long":
        writer.writerow(LONG_COLUMNS)
        for site, names in rows:
            for name in names:
                writer.writerow([month, safe_cell(site), name, "", METRICS[name].unit, "", "", ""])
    else:
        # The template names each column's unit: it is filled in by hand.
        writer.writerow(export_columns(units=True))
        width = len(ALL_METRICS) + len(PROVENANCE)
        for site, _ in rows:
            writer.writerow([month, safe_cell(site), *([""] * width)])
    return out.getvalue()


def accepted_metrics() -> list[dict[str, str]]:
    """Each metric an import reads: name, label, units, which row takes it, the values accepted."""
    out = []
    for name in ALL_METRICS:
        spec = METRICS[name]
        units = spec.unit + (" or PH/s" if name in HASHRATE else "")
        rows = "site" if name in SITE_ONLY else ("company" if name in COMPANY_ONLY else "site or company")
        accepted = ""
        if spec.bounds is not None:
            low, high = spec.bounds
            accepted = f"{format_bound(low)} to {format_bound(high)}"
            accepted += " (may be negative)" if spec.may_be_negative else ""
        if is_usd(spec.unit):
            accepted += "; a leading $ is fine"
        elif spec.unit == "%":
            accepted += "; a trailing % is fine"
        out.append({"name": name, "label": spec.label, "units": units, "rows": rows, "range": accepted})
    return out
