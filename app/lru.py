"""A thread-safe map bounded by its number of entries, the least recently used going first.

Read by every layer that keeps things in memory: the fast path's index of answers (app.cache.responses), the
kept month views and what is built from them (app.domain.month_memo, app.domain.charts, app.web). Every map is
known to `clear_all`, so that whatever a process keeps can be dropped at once without naming each store.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Lru(Generic[K, V]):
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        _EVERY.add(self)
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def values(self) -> list[V]:
        with self._lock:
            return list(self._entries.values())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


_EVERY: weakref.WeakSet[Lru[Any, Any]] = weakref.WeakSet()


def clear_all() -> None:
    """Empty every map of the process: what a test suite does between tests, whose data it rolls back (kept things
    are keyed by ids and stamps a rollback can bring back), and what a build "from nothing" starts from."""
    for lru in list(_EVERY):
        lru.clear()
