"""One build per answer at a time, in this process: the others that ask meanwhile wait for it.

After a data change (or at start), the first wave of readers all miss the cache for the same answer. Each
building its own copy of the ten-year overview costs every one of them the time of all the builds together on
two cores (64 readers: seconds each). Instead the first reader builds and the others wait for its answer, which
they then read from the response cache. A waiter whose builder failed, answered something other than 200, or
took longer than the wait, builds the answer itself: waiting is an optimisation, never a dependency.
"""

from __future__ import annotations

import threading

# Longer than any healthy build; a build that takes longer is stuck or starved, and the waiter goes on alone.
WAIT_SECONDS = 10.0


class SingleFlight:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, threading.Event] = {}

    def claim(self, key: str) -> threading.Event | None:
        """None when the caller is to build (and then call `done`); else the event the build in flight sets."""
        with self._lock:
            running = self._running.get(key)
            if running is None:
                self._running[key] = threading.Event()
            return running

    def done(self, key: str) -> None:
        with self._lock:
            finished = self._running.pop(key, None)
        if finished is not None:
            finished.set()

    def __len__(self) -> int:
        return len(self._running)


flights = SingleFlight()
