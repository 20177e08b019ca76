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
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from app.domain.figure_history import HistoryEntry
from app.domain.provenance import apply_history
from app.domain.reports import MonthView, SeriesInputs, month_range
from app.lru import Lru

T = TypeVar("T")


# How many versions of one month are kept: the published one, and the one with drafts that staff pages read.
_VERSIONS = 2


class MonthMemo:
    """Finished views by (series context, month); each slot holds the last few versions with the inputs they were
    built from, and the least recently used slots go first past `capacity`.

    A slot is found by hashing the context (once per series) and the period; the inputs are then compared by
    value, which costs a fraction of hashing them (a month's rows hold a few hundred decimals).
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._slots: Lru[tuple[_Context, dt.date], list[tuple[tuple[Any, ...], MonthView]]] = Lru(capacity)
        self._contexts: Lru[_Context, _Context] = Lru(capacity)
        # What the tests and a curious reader look at; not locked, so approximate under concurrent reads.
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return sum(len(versions) for versions in self._slots.values())

    def get(self, context: _Context, period: dt.date, inputs: tuple[Any, ...]) -> MonthView | None:
        for kept, view in self._slots.get((context, period)) or ():
            if kept == inputs:
                self.hits += 1
                return view
        self.misses += 1
        return None

    def put(self, context: _Context, period: dt.date, inputs: tuple[Any, ...], view: MonthView) -> None:
        # Two builds of one month at once may each keep theirs; either version is right for its inputs.
        versions = self._slots.get((context, period)) or []
        self._slots.put((context, period), [(inputs, view), *versions[: _VERSIONS - 1]])

    def context(self, value: tuple[Any, ...]) -> _Context:
        """The one `_Context` of `value`: keys of the same sites share it, so comparing them is an identity check."""
        found = _Context(value)
        known = self._contexts.get(found)
        if known is None:
            self._contexts.put(found, found)
            return found
        return known

    def clear(self) -> None:
        self._slots.clear()
        self._contexts.clear()
        self.hits = self.misses = 0


class KeptFrom(Generic[T]):
    """Values computed from kept objects (month views, and what is built from them), keyed by those objects'
    identity and plain settings, the least recently used going first past `capacity`.

    Only for objects that never change once built, like the views `MonthMemo` keeps: identity then stands for
    content. Each entry holds its objects, so no id is reused while the entry lives, and a hit checks that the
    objects are the very ones it was computed from.
    """

    def __init__(self, capacity: int) -> None:
        self._items: Lru[tuple[Hashable, ...], tuple[tuple[object, ...], T]] = Lru(capacity)

    def __len__(self) -> int:
        return len(self._items)

    def get(self, objects: tuple[object, ...], settings: Hashable, build: Callable[[], T]) -> T:
        """The value computed from `objects` with `settings`; `build` computes it when none is kept."""
        key = (*map(id, objects), settings)
        found = self._items.get(key)
        if found is not None and all(a is b for a, b in zip(found[0], objects, strict=True)):
            return found[1]
        value = build()
        self._items.put(key, (objects, value))
        return value

    def clear(self) -> None:
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
    inputs: SeriesInputs, *, start: dt.date, end: dt.date, history: Iterable[HistoryEntry], memo: MonthMemo | None
) -> list[MonthView]:
    """`build_company_series` with `apply_history`, each month taken from `memo` when its inputs are unchanged.

    The rows must compare by value (app.store.queries reads them as named tuples, provenance as JSON text, not as
    model instances, which compare by identity); without a memo every month is built.
    """
    by_month: dict[dt.date, list[HistoryEntry]] = defaultdict(list)
    for entry in history:
        by_month[entry.period].append(entry)
    if memo is None:
        return [_finished(inputs.month(period), by_month.get(period, ())) for period in month_range(start, end)]
    context = memo.context((tuple(sorted(inputs.slug_by_id.items())), inputs.lives))
    views: list[MonthView] = []
    for period in month_range(start, end):
        entries = tuple(by_month.get(period, ()))
        rows = inputs.month_rows(period)
        view = memo.get(context, period, (rows, entries))
        if view is None:
            view = _finished(inputs.month(period), entries)
            memo.put(context, period, (rows, entries), view)
        views.append(view)
    return views


def _finished(view: MonthView, entries: Sequence[HistoryEntry]) -> MonthView:
    """A month's view with its history applied: done before the view is kept, never after."""
    if entries:
        apply_history((view,), entries)
    return view
