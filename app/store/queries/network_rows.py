"""The network's month rows, kept by their stamps: a build after a company's correction does not read them again.

Every series load reads the network's rows of the months it builds (its hashrate, difficulty and price enter
the derived figures), so a build right after a correction of one company month read that network month too: a
statement of its own, for a row that changes once a month. A network month's stamp (app.store.models.stamps,
company 0) moves whenever its row is written, changed or deleted; the rows are kept under it. They are plain
named tuples (app.store.queries._month_rows), shared read-only by every thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from app.domain.reports import month_range
from app.lru import Lru

# (period, its network stamp) -> the row, or _NO_ROW. Twelve years of months take a few hundred KB.
KEPT: Lru[tuple[dt.date, int | None], Any] = Lru(2048)
_NO_ROW = object()


def network_months(
    first: dt.date, last: dt.date, stamps: Mapping[dt.date, int], read: Callable[[dt.date, dt.date], list[Any]]
) -> list[Any]:
    """The rows of [first, last] in order, from those kept under the months' current stamps, or else all read
    with `read(first, last)` and kept. The stamps must have been read before any row of the request, as
    month_keys' are: a row is then never kept under a stamp newer than itself. A month never written since the
    stamps began has none (None), and is kept under None until its first write."""
    periods = month_range(first, last)
    found = []
    for period in periods:
        row = KEPT.get((period, stamps.get(period)))
        if row is None:
            break
        if row is not _NO_ROW:
            found.append(row)
    else:
        return found
    rows = read(first, last)
    by_period = {row.period: row for row in rows}
    for period in periods:
        KEPT.put((period, stamps.get(period)), by_period.get(period, _NO_ROW))
    return rows
