"""Where each figure comes from (pure): a row's provenance per figure, and the provenance of a sum over sites.

A `FigureSource` is a tuple because a ten-year page hashes and compares thousands of them per build, and most
figures share one: every figure of a release that names no source of its own gets the same cached instance.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from app.domain.figure_history import Revision

if TYPE_CHECKING:
    # Only the rows' shapes: the domain is handed rows, it never loads them.
    from app.store.models import SiteMonth


class FigureSource(NamedTuple):
    """Where one figure comes from. A tuple: pages hash and compare thousands of these per build."""

    source_url: str | None
    is_estimate: bool
    is_illustrative: bool = False
    quote: str | None = None
    basis: str | None = None  # for a derived figure that took the dictionary's second route: which and why
    title: str | None = None  # the document's title or publisher, where stored
    revisions: tuple[Revision, ...] = ()  # this figure's corrections, oldest first (app.domain.provenance)


def row_sources(row: Any, metric_names: Iterable[str], illustrative: bool = False) -> dict[str, FigureSource]:
    """Provenance of each non-null figure of a row: its own entry, else the row's."""
    names = tuple(metric_names)
    return sources_of_values(row, names, tuple(getattr(row, name) for name in names), illustrative)


def sources_of_values(
    row: Any, names: tuple[str, ...], values: tuple[Any, ...], illustrative: bool
) -> dict[str, FigureSource]:
    """row_sources for a row whose figures (`values`, in the order of `names`) were already read."""
    per_figure: dict[str, Any] = _per_figure(row.figure_sources)
    # One shared (frozen) instance for every figure that falls back to the row's provenance: a page
    # with years of site months builds tens of thousands of these otherwise.
    shared = row_source(row.source_url, bool(row.is_estimate), illustrative)
    if not per_figure:
        return {name: shared for name, value in zip(names, values, strict=True) if value is not None}
    out: dict[str, FigureSource] = {}
    for name, value in zip(names, values, strict=True):
        if value is None:
            continue
        entry = per_figure.get(name)
        if entry:
            out[name] = FigureSource(
                source_url=entry.get("source_url") or None,
                is_estimate=bool(entry.get("is_estimate", row.is_estimate)),
                is_illustrative=illustrative,
                quote=entry.get("quote"),
                title=entry.get("title") or None,
            )
        else:
            out[name] = shared
    return out


def _per_figure(stored: dict[str, Any] | str | None) -> dict[str, Any]:
    """A row's per-figure provenance: a mapping on a model row, JSON text on a row the series loads read (parsed
    once per distinct text)."""
    if not stored:
        return {}
    if isinstance(stored, str):
        return _parsed(stored)
    return stored


@lru_cache(maxsize=1024)
def _parsed(text: str) -> dict[str, Any]:
    # Shared by every row with the same text, so read only, never changed.
    found = json.loads(text)
    return found if isinstance(found, dict) else {}


@lru_cache(maxsize=4096)
def row_source(source_url: str | None, is_estimate: bool, illustrative: bool) -> FigureSource:
    return FigureSource(source_url, is_estimate, illustrative)


def _merge_sources(prev: FigureSource, src: FigureSource) -> FigureSource:
    """The provenance of a site sum: one URL only if every site shares it; an estimate if any part is."""
    if (prev is src or prev == src) and prev.quote is None:
        return prev
    return FigureSource(
        prev.source_url if prev.source_url == src.source_url else None,
        prev.is_estimate or src.is_estimate,
        prev.is_illustrative or src.is_illustrative,
    )


def shared_source(site_rows: Sequence[SiteMonth]) -> FigureSource | None:
    """The one provenance of every figure of a month's site rows, or None when they differ.

    The usual month has one: every site from one release, no per-figure sources.
    """
    first = site_rows[0]
    # The same arguments as sources_of_values gives row_source, so the same cached instance.
    key = (first.source_url, bool(first.is_estimate), first.is_illustrative)
    if all(not r.figure_sources and (r.source_url, bool(r.is_estimate), r.is_illustrative) == key for r in site_rows):
        return row_source(*key)
    return None


def merged_sources(site_sources: Sequence[dict[str, FigureSource]]) -> dict[str, FigureSource]:
    """The provenance of each site sum of a month whose sites' provenance differs (see _merge_sources)."""
    merged: dict[str, FigureSource] = {}
    for one_row in site_sources:
        for name, src in one_row.items():
            prev = merged.get(name)
            merged[name] = src if prev is None else _merge_sources(prev, src)
    return merged
