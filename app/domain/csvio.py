"""CSV conventions shared by every CSV the app writes or reads.

* One vocabulary: a metric's column is headed by its bare name (`btc_mined`), the name JSON keys, `metrics=`,
  the dictionary and the import use. `?header=units` asks for `name (unit)` (`btc_mined (BTC)`) instead; the
  import reads both.
* A figure's provenance sits beside it as `<metric>__source_url`, `<metric>__estimate`,
  `<metric>__illustrative` and `<metric>__revised` (true/false); its change as `<metric>_mom_pct` and
  `<metric>_yoy_pct`; the sites a company value summed from sites covers as `<metric>__coverage` ("2 of 3
  sites (South not reported)", empty for a whole-company value). The import ignores these columns: they are
  for reading.
* Periods are `YYYY-MM`; missing figures are empty cells, never 0; moments are ISO 8601 with their zone.
* Cells that a spreadsheet would run as a formula are neutralised on the way out.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from app.domain.metrics import METRICS

# Spreadsheet programs evaluate cells starting with these; a leading apostrophe makes them plain text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_HEADER_RE = re.compile(r"^\s*([a-z0-9_]+)\s*(?:\(([^)]*)\))?\s*$")
PROVENANCE_FIELDS = ("source_url", "estimate", "illustrative", "revised")
CHANGE_FIELDS = ("mom_pct", "yoy_pct")


def header_for(metric: str, *, units: bool = True) -> str:
    """`btc_mined (BTC)` with units, else the bare name."""
    return f"{metric} ({METRICS[metric].unit})" if units else metric


def provenance_column(metric: str, field: str) -> str:
    """`btc_mined__source_url`: one figure's provenance, beside its value."""
    return f"{metric}__{field}"


def change_column(metric: str, field: str) -> str:
    """`btc_mined_mom_pct`: one figure's change, flat."""
    return f"{metric}_{field}"


def is_reading_column(cell: str) -> bool:
    """A column exports write for reading beside a metric: its provenance or its change (never imported)."""
    name = cell.strip().split(" (")[0].strip().lower()
    head, sep, tail = name.rpartition("__")
    if sep and tail in (*PROVENANCE_FIELDS, "coverage") and head.split(":")[0] in METRICS:
        return True
    return any(name.endswith("_" + field) and name.removesuffix("_" + field) in METRICS for field in CHANGE_FIELDS)


def parse_header(cell: str) -> tuple[str, str | None]:
    """`btc_mined (BTC)` -> ("btc_mined", "BTC"); a bare name gives (name, None)."""
    match = _HEADER_RE.match(cell)
    if not match:
        raise ValueError(f"unreadable column header {cell!r}")
    return match.group(1), match.group(2)


def moment_text(value: dt.datetime) -> str:
    """ISO 8601 with the zone; a naive moment (SQLite returns those) is UTC, as every stored moment is."""
    return (value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)).isoformat()


def safe_cell(value: object) -> str:
    """Text for a CSV cell that no spreadsheet will execute; numbers keep their exact decimal form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.datetime):
        return moment_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text
