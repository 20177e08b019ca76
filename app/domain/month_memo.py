"""Finished month views kept between builds, keyed by everything they were built from (pure: no database).

A correction changes one month of a company; every page, CSV and API answer of its ten years is then built
again on its next read. Most of that build is assembling the 119 months that did not change. `assemble_series`
keeps each finished view (figures, sources, coverage, derived metrics, history applied) under a key made of
all its inputs, so a build after a correction assembles only the months whose inputs changed:

- the month's rows: its company row, the holdings of the month before (the treasury residual), its network
  row and its site rows, compared by value (every column the view reads, provenance included);
- the series' context: each site's id, slug and life (which sites a sum should cover, and their names);
- the month's published history entries (titles, corrections).

Nothing else goes into a view (its period aside), so a key that matches means the same view. Kept views are
shared by every reader of the process and must not be changed once built; `apply_history` runs on a view
before it is kept, never after.

Values compare as Python compares them: a stored 1.50 and 1.5 are the same figure, and every page and
answer writes a figure by its value (trimmed, or at the metric's places), not by its stored scale.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from app.domain.figure_history import HistoryEntry
from app.domain.provenance import apply_history
from app.domain.reports import MonthView, ReportedSpans, SeriesInputs, month_range

if TYPE_CHECKING:
    from app.store.models import CompanyMonth, NetworkMonth, Site, SiteMonth

T = TypeVar("T")


# How many versions of one month are kept: the published one, and the one with drafts that staff pages read.
_VERSIONS = 2


class MonthMemo:
    """Finished views by (series context, month); each slot holds the last few versions with the inputs they were
    built from, and the least recently used slots go first past `capacity`. Thread-safe.

    A slot is found by hashing the context (once per series) and the period; the inputs are then compared by
    value, which costs a fraction of hashing them (a month's rows hold a few hundred decimals).
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._slots: OrderedDict[tuple[_Context, dt.date], list[tuple[tuple[Any, ...], MonthView]]] = OrderedDict()
        self._contexts: dict[_Context, _Context] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return sum(len(versions) for versions in self._slots.values())

    def get(self, context: _Context, period: dt.date, inputs: tuple[Any, ...]) -> MonthView | None:
        with self._lock:
            versions = self._slots.get((context, period))
            if versions is not None:
                for kept, view in versions:
                    if kept == inputs:
                        self._slots.move_to_end((context, period))
                        self.hits += 1
                        return view
            self.misses += 1
            return None

    def put(self, context: _Context, period: dt.date, inputs: tuple[Any, ...], view: MonthView) -> None:
        with self._lock:
            key = (context, period)
            versions = self._slots.get(key, [])
            self._slots[key] = [(inputs, view), *versions[: _VERSIONS - 1]]
            self._slots.move_to_end(key)
            while len(self._slots) > self.capacity:
                self._slots.popitem(last=False)

    def context(self, value: tuple[Any, ...]) -> _Context:
        """The one `_Context` of `value`: keys of the same sites share it, so comparing them is an identity check."""
        found = _Context(value)
        with self._lock:
            if len(self._contexts) > self.capacity:  # sites renamed again and again: start over
                self._contexts.clear()
            return self._contexts.setdefault(found, found)

    def clear(self) -> None:
        with self._lock:
            self._slots.clear()
            self._contexts.clear()
            self.hits = self.misses = 0


class KeptFrom(Generic[T]):
    """Values computed from kept objects (month views, and what is built from them), keyed by those objects'
    identity and plain settings. Thread-safe and bounded; the least recently used go first.

    Only for objects that never change once built, like the views `MonthMemo` keeps: identity then stands for
    content. Each entry holds its objects, so no id is reused while the entry lives, and a hit checks that the
    objects are the very ones it was computed from.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[tuple[Hashable, ...], tuple[tuple[object, ...], T]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, objects: tuple[object, ...], settings: Hashable) -> T | None:
        key = (*map(id, objects), settings)
        with self._lock:
            found = self._items.get(key)
            if found is None or any(a is not b for a, b in zip(found[0], objects, strict=True)):
                return None
            self._items.move_to_end(key)
            return found[1]

    def put(self, objects: tuple[object, ...], settings: Hashable, value: T) -> None:
        key = (*map(id, objects), settings)
        with self._lock:
            self._items[key] = (objects, value)
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class _Context:
    """The part of every month's key shared by the whole series (sites and their lives), hashed once: hashing
    ten SiteLife dataclasses for each of 120 months cost about as much as building the months."""

    __slots__ = ("_hash", "value")

    def __init__(self, value: tuple[Any, ...]) -> None:
        self.value = value
        self._hash = hash(value)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return self is other or (
            isinstance(other, _Context) and self._hash == other._hash and self.value == other.value
        )


def assemble_series(
    *,
    sites: Sequence[Site],
    company_months: Sequence[CompanyMonth],
    site_months: Sequence[SiteMonth],
    network_months: Sequence[NetworkMonth],
    start: dt.date,
    end: dt.date,
    spans: ReportedSpans | None,
    history: Iterable[HistoryEntry],
    memo: MonthMemo | None,
) -> list[MonthView]:
    """`build_company_series` with `apply_history`, each month taken from `memo` when its inputs are unchanged.

    The rows must compare by value (app.store.queries reads them as named tuples, provenance as JSON text, not as
    model instances, which compare by identity); without a memo every month is built.
    """
    inputs = SeriesInputs(
        sites=sites, company_months=company_months, site_months=site_months, network_months=network_months, spans=spans
    )
    by_month: dict[dt.date, list[HistoryEntry]] = defaultdict(list)
    for entry in history:
        by_month[entry.period].append(entry)
    context = memo.context((tuple(sorted(inputs.slug_by_id.items())), inputs.lives)) if memo is not None else None
    views: list[MonthView] = []
    for period in month_range(start, end):
        entries = tuple(by_month.get(period, ()))
        rows = inputs.month_rows(period)
        view = memo.get(context, period, (rows, entries)) if memo is not None and context is not None else None
        if view is None:
            view = inputs.month(period)
            if entries:
                apply_history((view,), entries)
            if memo is not None and context is not None:
                memo.put(context, period, (rows, entries), view)
        views.append(view)
    return views
