"""Finished month views kept between builds, keyed by what they were built from (pure: no database).

A correction changes one month of a company; every page, CSV and API answer of its ten years is then built
again on its next read. Most of that build was reading and assembling the 119 months that did not change.
`assemble_series` keeps each finished view (figures, sources, coverage, derived metrics, history applied) under
a key that moves whenever anything the view reads moves, so a build after a correction reads and assembles only
the months whose keys moved:

- the series' context: each site's id, slug and life (which sites a sum should cover, and their names);
- the month's key, given by the caller: app.store.queries.month_stamps makes it of the stamps the database's
  triggers move on every write to the month's rows (app.store.models.stamps): its company, site and history
  rows, the company's month before (the treasury residual's holdings), the network's month, and whether drafts
  are read.

Nothing else goes into a view (its period aside), so a key that matches means the same view. Kept views are
shared by every reader of the process and must not be changed once built; `apply_history` runs on a view
before it is kept, never after.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from operator import is_
from typing import Any, Generic, TypeVar, cast

from app.domain.figure_history import HistoryEntry
from app.domain.provenance import apply_history
from app.domain.reports import MonthView, SeriesInputs
from app.lru import Lru

T = TypeVar("T")


# How many versions of one month are kept: the published one, and the one with drafts that staff pages read.
_VERSIONS = 2


class MonthMemo:
    """Finished views by (series context, month); each slot holds the last few versions with the keys they were
    kept under, and the least recently used slots go first past `capacity`.

    A slot is found by hashing the context (once per series) and the period, then its versions' keys compared.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._slots: Lru[tuple[_Context, dt.date], list[tuple[Hashable, MonthView]]] = Lru(capacity)
        self._contexts: Lru[_Context, _Context] = Lru(capacity)
        # What the tests and a curious reader look at; not locked, so approximate under concurrent reads.
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return sum(len(versions) for versions in self._slots.values())

    def get(self, context: _Context, period: dt.date, key: Hashable) -> MonthView | None:
        for kept, view in self._slots.get((context, period)) or ():
            if kept == key:
                self.hits += 1
                return view
        self.misses += 1
        return None

    def put(self, context: _Context, period: dt.date, key: Hashable, view: MonthView) -> None:
        # Two builds of one month at once may each keep theirs; either version is right for its key.
        versions = self._slots.get((context, period)) or []
        self._slots.put((context, period), [(key, view), *versions[: _VERSIONS - 1]])

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

    def values(self) -> list[T]:
        """Every kept value (what the tests compare with copies)."""
        return [value for _, value in self._items.values()]

    def get(self, objects: tuple[object, ...], settings: Hashable, build: Callable[[], T]) -> T:
        """The value computed from `objects` with `settings`; `build` computes it when none is kept."""
        key = (*map(id, objects), settings)
        found = self._items.get(key)
        # Compared in C (a ten-year answer makes 240 of these look-ups after every change).
        if found is not None and all(map(is_, found[0], objects)):
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
    memo: MonthMemo,
    context: tuple[Any, ...],
    keys: Mapping[dt.date, Hashable],
    load: Callable[[dt.date, dt.date], tuple[SeriesInputs, Iterable[HistoryEntry]]],
) -> list[MonthView]:
    """The finished views of `keys`' months (in its order), each taken from `memo` when kept under its key.

    `context` is what every month's view reads besides its own key (the sites and their lives); `keys` gives, per
    month, what changes whenever that month's rows change (app.store.queries.month_stamps). The months not kept are
    built from `load(first, last)`, the rows and history of the span from the first to the last of them, and kept.
    """
    interned = memo.context(context)
    views = {period: memo.get(interned, period, key) for period, key in keys.items()}
    missing = [period for period, view in views.items() if view is None]
    if missing:
        inputs, history = load(missing[0], missing[-1])
        by_month: dict[dt.date, list[HistoryEntry]] = defaultdict(list)
        for entry in history:
            by_month[entry.period].append(entry)
        for period in missing:
            view = _finished(inputs.month(period), by_month.get(period, ()))
            memo.put(interned, period, keys[period], view)
            views[period] = view
    return cast(list[MonthView], list(views.values()))


def _finished(view: MonthView, entries: Sequence[HistoryEntry]) -> MonthView:
    """A month's view with its history applied: done before the view is kept, never after."""
    if entries:
        apply_history((view,), entries)
    return view
