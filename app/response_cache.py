"""Whole responses cached per process, keyed by the data revision and the request's inputs.

When nothing was published since the last request, a page or API answer is served from memory (already
compressed) after a single query for the revision. The key contains the revision, so a change made through
any worker makes every worker's cached copies unreachable at once: the workers never disagree, they only
hold some dead entries until the LRU bound pushes them out.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request
from fastapi.responses import Response

from app.caching import cache_headers, etag_for, not_modified, not_modified_response, preferred_encoding
from app.models import DataRevision

# Smaller bodies are not worth compressing (the header and the CPU cost outweigh the gain).
MIN_COMPRESS_BYTES = 1000
# Brotli at quality 4 compresses a chart-heavy page better than gzip -6 and a little faster; higher
# qualities cost more CPU on the first request after a data change than they save on the wire.
BROTLI_QUALITY = 4
ENCODINGS = ("br", "gzip")


def compress(body: bytes, encoding: str) -> bytes:
    if encoding == "br":
        import brotli

        return brotli.compress(body, quality=BROTLI_QUALITY)
    return gzip.compress(body, compresslevel=6, mtime=0)


@dataclass(slots=True)
class CachedBody:
    """One response body and its compressed forms, each made the first time a client asks for it."""

    body: bytes
    gzipped: bytes | None
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)
    brotli: bytes | None = None

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"") + len(self.brotli or b"")

    @property
    def compressible(self) -> bool:
        return len(self.body) >= MIN_COMPRESS_BYTES

    def encoded(self, encoding: str) -> bytes | None:
        return self.brotli if encoding == "br" else self.gzipped


class ResponseCache:
    """A thread-safe LRU bounded by total bytes (sync routes run in a thread pool)."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, CachedBody] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> CachedBody | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: str, entry: CachedBody) -> None:
        if entry.size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = entry
            self._bytes += entry.size
            self._evict()

    def add_encoding(self, key: str, entry: CachedBody, encoding: str, data: bytes) -> None:
        """Keep a compressed form made for one client for the next ones, within the byte budget."""
        with self._lock:
            before = entry.size
            if encoding == "br":
                entry.brotli = data
            else:
                entry.gzipped = data
            if self._entries.get(key) is entry:
                self._bytes += entry.size - before
                self._evict()

    def _evict(self) -> None:
        while self._bytes > self.max_bytes and self._entries:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


cache = ResponseCache()

_PASSED_ON = ("content-type", "content-disposition", "link", "content-language")


def _freeze(response: Response) -> CachedBody:
    body = bytes(response.body)
    headers = {k: v for k, v in response.headers.items() if k.lower() in _PASSED_ON}
    return CachedBody(body=body, gzipped=None, media_type=response.media_type or "", headers=headers)


def revision_cached(
    request: Request,
    revision: DataRevision,
    build: Callable[[], Response],
    *,
    vary: tuple[object, ...] = (),
    max_age: int = 0,
) -> Response:
    """Answer 304, a cached copy, or build (and cache) the response.

    `vary` lists whatever besides the URL shapes the response (e.g. the negotiated format); responses that
    depend on who asks must not come through here.
    """
    etag = etag_for(revision, request.url.path, request.url.query, *vary)
    if not_modified(request, etag):
        return not_modified_response(etag, revision.changed_at, max_age=max_age)
    entry = cache.get(etag)
    if entry is None:
        response = build()
        if response.status_code != 200:
            return response
        entry = _freeze(response)
        cache.put(etag, entry)
    headers = {**entry.headers, **cache_headers(etag, revision.changed_at, max_age=max_age)}
    encoding = preferred_encoding(request.headers.get("accept-encoding"), ENCODINGS) if entry.compressible else None
    if encoding is None:
        return Response(entry.body, headers=headers)
    data = entry.encoded(encoding)
    if data is None:
        # Compressed on first demand only: the request right after a data change pays for one encoding.
        data = compress(entry.body, encoding)
        cache.add_encoding(etag, entry, encoding, data)
    headers["Content-Encoding"] = encoding
    return Response(data, headers=headers)
