"""Published values of a figure over time (pure): entries, the corrections between them, and how to say them.

A figure (company or site × month × metric) is published once, then perhaps corrected: each published value
is an entry. Two consecutive entries of one figure make a `Revision` (old → new, when, by which role, the
reason exactly as typed). Investors see revisions on the figures that had them, and only there.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import pairwise
from typing import NamedTuple
from urllib.parse import urlsplit

from app.domain.formatting import format_figure
from app.domain.metrics import METRICS

FigureKey = tuple[str | None, dt.date, str]  # site slug (None: the company's own figure), period, metric


class HistoryEntry(NamedTuple):
    """One published value of one figure, as the store hands it to the domain."""

    site: str | None  # the site's slug; None for a company-level figure
    period: dt.date
    metric: str
    value: Decimal | None  # None: the figure was removed by this correction
    source_url: str | None
    source_title: str | None
    quote: str | None
    is_estimate: bool
    published_at: dt.datetime
    role: str
    reason: str | None
    superseded_at: dt.datetime | None


class Revision(NamedTuple):
    """One correction of one figure: what it was, what it became, when, by whom (a role) and why."""

    metric: str
    site: str | None
    old: Decimal | None
    new: Decimal | None
    at: dt.datetime
    role: str
    reason: str | None


def by_figure(entries: Iterable[HistoryEntry]) -> dict[FigureKey, list[HistoryEntry]]:
    """Entries grouped per figure, oldest first."""
    out: dict[FigureKey, list[HistoryEntry]] = defaultdict(list)
    for entry in sorted(entries, key=lambda e: e.published_at):
        out[(entry.site, entry.period, entry.metric)].append(entry)
    return dict(out)


def revisions_of(entries: Sequence[HistoryEntry]) -> tuple[Revision, ...]:
    """The corrections of one figure (its entries oldest first): one per entry after the first."""
    return tuple(
        Revision(new.metric, new.site, old.value, new.value, new.published_at, new.role, new.reason)
        for old, new in pairwise(entries)
    )


def publisher_of(url: str | None, title: str | None = None) -> str | None:
    """A readable name for a source link: the stored document title, else the link's host without "www."."""
    if title and title.strip():
        return title.strip()
    if not url:
        return None
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    host = host.removeprefix("www.")
    return host or None


def _plain(value: Decimal | None, metric: str) -> str:
    # The one formatter of the pages: a figure reads as the release printed it ("626 BTC", "10,556 BTC").
    return "—" if value is None else format_figure(value, metric) if metric in METRICS else f"{value:,}"


def revision_text(revision: Revision, *, with_metric: bool = False) -> str:
    """One correction as investors read it: "Revised 2025-03-04 by editor: 1,200 → 1,210 BTC (reason)"."""
    what = ""
    if with_metric:
        spec = METRICS.get(revision.metric)
        what = (spec.label if spec is not None else revision.metric) + (f" at {revision.site}" if revision.site else "")
        what += " "
    old, new = _plain(revision.old, revision.metric), _plain(revision.new, revision.metric)
    change = f"{old} → {new}" if old != new else f"{new}, source updated"
    reason = f" — {revision.reason}" if revision.reason else ""
    return f"Revised {revision.at:%Y-%m-%d} by {revision.role}: {what}{change}{reason}"


def parse_as_of(text: str, *, name: str = "as_of") -> dt.datetime:
    """A moment from `?as_of=`: an ISO date (the end of that day, UTC) or date and time (UTC without a zone).

    Raises ValueError with a message that names the parameter and says what came.
    """
    raw = text.strip()
    shown = raw[:40] + ("…" if len(raw) > 40 else "")
    problem = f"{name}: expected an ISO date like 2025-02-03 (or a date and time like 2025-02-03T12:00Z), got {shown!r}"
    if not raw or len(raw) > 40:
        raise ValueError(problem)
    try:
        if len(raw) == 10:
            day = dt.date.fromisoformat(raw)
            moment = dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
        else:
            moment = dt.datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        raise ValueError(problem) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    if not 2009 <= moment.year <= 2100:  # the year as written, before any change of zone
        raise ValueError(f"{name}: expected a moment between 2009 and 2100, got {shown!r}")
    return moment.astimezone(dt.UTC)
