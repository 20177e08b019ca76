"""Per-figure provenance on assembled months (pure): each figure's document title and its own corrections.

`build_company_series` reads the rows; `apply_history` then gives every figure that has published values in
the history its title and its revisions, so only the figures that were corrected say "revised". A company
figure summed from sites carries the corrections of the site figures it sums.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from app.domain.figure_history import (
    FigureKey,
    HistoryEntry,
    Revision,
    by_figure,
    publisher_of,
    revision_text,
    revisions_of,
)
from app.domain.figure_sources import FigureSource
from app.domain.metrics import NETWORK_METRICS, SITE_METRICS
from app.domain.reports import MonthView

SHOWN_REVISIONS = 3  # a hover or a table cell names the latest few corrections of a figure


def _with(src: FigureSource, entry: HistoryEntry | None, revisions: tuple[Revision, ...]) -> FigureSource:
    title = (entry.source_title if entry is not None else None) or src.title
    if title == src.title and revisions == src.revisions:
        return src
    return src._replace(title=title, revisions=revisions)


def apply_history(views: Sequence[MonthView], entries: Iterable[HistoryEntry]) -> None:
    """Give each figure of `views` its title and revisions from the published history (changes the views)."""
    grouped = by_figure(entries)
    if not grouped:
        return
    current: dict[FigureKey, HistoryEntry] = {key: found[-1] for key, found in grouped.items()}
    revisions: dict[FigureKey, tuple[Revision, ...]] = {
        key: revisions_of(found) for key, found in grouped.items() if len(found) > 1
    }
    for view in views:
        period = view.period
        month: list[Revision] = []
        for slug, figures in view.sites.items():
            own: list[Revision] = []
            for metric, src in list(figures.sources.items()):
                site_key: FigureKey = (slug, period, metric)
                found = revisions.get(site_key, ())
                own.extend(found)
                figures.sources[metric] = _with(src, current.get(site_key), found)
            if own:
                latest = max(own, key=lambda r: r.at)
                figures.revised_at, figures.revision_reason = latest.at, latest.reason
                month.extend(own)
        for metric, src in list(view.sources.items()):
            if metric in NETWORK_METRICS:
                continue
            # The company's production is its published total where there is one (see build_company_series).
            name = (
                "btc_mined_total" if metric == "btc_mined" and (None, period, "btc_mined_total") in current else metric
            )
            key = (None, period, name)
            if key in current:
                found = revisions.get(key, ())
                view.sources[metric] = _with(src, current[key], found)
                month.extend(found)
            elif metric in SITE_METRICS:
                # A sum over sites: the corrections of the site figures behind it.
                summed = tuple(r for slug in view.sites for r in revisions.get((slug, period, metric), ()))
                if summed:
                    view.sources[metric] = src._replace(revisions=tuple(sorted(summed, key=lambda r: r.at)))
        if month:
            latest = max(month, key=lambda r: r.at)
            view.revised_at, view.revision_reason = latest.at, latest.reason


def figure_revisions(sources: Sequence[FigureSource]) -> tuple[Revision, ...]:
    """The corrections behind one shown figure (its own, or its inputs' for a derived one), oldest first."""
    seen = dict.fromkeys(r for s in sources for r in s.revisions)
    return tuple(sorted(seen, key=lambda r: r.at))


def revised_note(sources: Sequence[FigureSource], metric: str) -> str | None:
    """The latest corrections of a figure, one per line; None when it was never corrected."""
    found = figure_revisions(sources)
    if not found:
        return None
    # Name the figure when the correction was of another one (an input of a derived metric, a site of a sum).
    named = any(r.metric != metric or r.site for r in found)
    return "\n".join(revision_text(r, with_metric=named) for r in found[-SHOWN_REVISIONS:])


def source_links(sources: Sequence[FigureSource]) -> list[tuple[str, str]]:
    """(url, readable name) of each distinct source link: the document's title, else its publisher's host."""
    out: dict[str, str] = {}
    for src in sources:
        if src.source_url and src.source_url not in out:
            out[src.source_url] = publisher_of(src.source_url, src.title) or src.source_url
    return list(out.items())
