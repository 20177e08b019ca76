"""Answers read again and again are compressed once more, as small as brotli makes them, off every reader's path.

An answer is first compressed fast (app.cache.responses: quality 1 while its first reader waits, 3 for a page
rendered after a publish). Most answers are read a few times before the next publish outdates them; those read
often (a release's overview, the monthly API a dashboard polls) are worth brotli's best, which makes them 25–35%
smaller (the ten-year monthly API: 39.7 KB at quality 1, 27.0 KB at 11) for about 0.4 s of CPU each, once per
revision. Decompressing costs the reader the same, so every later reader gets fewer bytes for nothing: a phone on
a slow link, and the server's socket writes.

One thread per worker does it, at the lowest CPU priority the system gives it, one answer at a time: under load
it takes only the time the requests leave. The smaller form replaces the fast one in the answer's cache entry;
the ETag stays (both decode to the same bytes, as the gzip and brotli forms of one answer already share it).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading

from app.cache.responses import CachedBody, cache, compress

log = logging.getLogger("minedash.recompress")

# Reads of one answer's brotli form before it is compressed again: enough to tell a popular answer from one read
# by a few people before the next publish.
HOT_READS = 20
BEST_QUALITY = 11
# Answers waiting at most; a popular answer that finds the queue full stays as it is until the next revision.
QUEUE_SIZE = 16
# Quality 11 takes about a second per megabyte: a larger answer keeps its fast form.
MAX_BODY_BYTES = 4 * 1024 * 1024
# Linux's weakest priority (19) for the thread: readers always come first.
NICENESS = 19


class Recompressor:
    def __init__(self, *, hot_reads: int = HOT_READS, quality: int = BEST_QUALITY) -> None:
        self.hot_reads = hot_reads
        self.quality = quality
        self._queue: queue.Queue[tuple[str, CachedBody]] = queue.Queue(maxsize=QUEUE_SIZE)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.done = 0

    def note_read(self, key: str, entry: CachedBody) -> None:
        """Count one read of `entry`'s brotli form (filed in `cache` under `key`); the count that makes it hot
        queues it. On the event loop: no locking, no waiting."""
        entry.brotli_reads += 1
        if entry.brotli_reads != self.hot_reads or len(entry.body) > MAX_BODY_BYTES:
            return
        try:
            self._queue.put_nowait((key, entry))
        except queue.Full:
            return
        self._ensure_thread()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Whether every queued answer was compressed within `timeout` (for tests and the benchmark)."""
        done = threading.Event()

        def drained() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=drained, daemon=True).start()
        return done.wait(timeout)

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="minedash-recompress", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        _lower_priority()
        while True:
            key, entry = self._queue.get()
            try:
                self._recompress(key, entry)
            except Exception:
                log.exception("recompressing an answer failed; it is served as it was")
            finally:
                self._queue.task_done()

    def _recompress(self, key: str, entry: CachedBody) -> None:
        current = entry.brotli
        if current is None:
            return
        smaller = compress(entry.body, "br", quality=self.quality)
        if len(smaller) < len(current):
            cache.add_encoding(key, entry, "br", smaller)
        self.done += 1


def _lower_priority() -> None:
    """This thread only (a Linux thread has a priority of its own); elsewhere it keeps the process's."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)


recompressor = Recompressor()
