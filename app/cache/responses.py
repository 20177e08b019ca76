"""Whole responses cached per process, keyed by the data revision and the request's inputs.

When nothing was published since the last request, a page or API answer is served from memory (already
compressed) after a single query for the revision. The key contains the revision, so a change made through
any worker makes every worker's cached copies unreachable at once: the workers never disagree, they only
hold some dead entries until the LRU bound pushes them out.

Each answer is also filed in `index` under the request that asked for it, so app.cache.fast_path can answer the
same request again before routing, dependencies and the ORM session (see there).
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import object_session
from starlette.background import BackgroundTask

from app.cache.etags import cache_headers, etag_for, not_modified, preferred_encoding
from app.cache.single_flight import WAIT_SECONDS, flights
from app.lru import Lru
from app.store.db import release_connection
from app.store.models import DataRevision

# Smaller bodies are not worth compressing (the header and the CPU cost outweigh the gain).
MIN_COMPRESS_BYTES = 1000
# Brotli at quality 3 compresses the ten-year overview (430 KB) to 32 KB in 2.5 ms; quality 5 saves 2 KB more
# for 8.6 ms. Used where a body is compressed once, off any reader's path, and served many times: a page rendered
# after a publish (app.cache.page_store). Gzip -6 makes 43 KB in 6 ms.
BROTLI_QUALITY = 3
# An answer built on demand is compressed while its first reader waits. Quality 1 takes under half of quality
# 3's time (ten-year overview: 0.6 against 1.3 ms; 120-month API: 0.5 against 1.3 ms) for 7% more bytes of HTML
# and 2% of JSON: about 3 KB on the overview's 40, less than the time saved is worth on any link.
BROTLI_QUALITY_ON_DEMAND = 1
ENCODINGS = ("br", "gzip")


def compress(body: bytes, encoding: str, *, quality: int = BROTLI_QUALITY) -> bytes:
    """`body` brotli-compressed at `quality`, or gzip -6 (the rare client without brotli)."""
    if encoding == "br":
        import brotli

        compressed: bytes = brotli.compress(body, quality=quality)
        return compressed
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


# --- the index of answers by request, for app.cache.fast_path --------------------------------------------------

# What, besides the data revision, can shape a cached answer: the scheme and Host (absolute links such as an
# API page's `next`), the path and the raw query, and Accept (API format negotiation). Raw bytes, compared
# exactly: a request spelled differently is a miss, never a wrong answer.
RequestKey = tuple[str, str, bytes, bytes, bytes]

# Longer requests are answered normally but not indexed, so the index's memory stays bounded by count.
MAX_KEY_BYTES = 2048


@dataclass(slots=True, frozen=True)
class ReadRequest:
    """The parts of a GET request that the fast path needs, read in one pass over the headers."""

    key: RequestKey
    if_none_match: str | None
    accept_encoding: str | None


def read_request(scope: MutableMapping[str, Any]) -> ReadRequest | None:
    """The request's index key, or None when it must go through the app (credentials, not a plain GET).

    The first of repeated headers counts, as in Starlette's `request.headers.get`, so both sides agree.
    """
    if scope.get("method") != "GET":
        return None
    host = accept = if_none_match = accept_encoding = None
    for name, value in scope["headers"]:
        if name in (b"cookie", b"authorization"):
            # Whoever sends credentials may be shown something else; never answer them from the index.
            return None
        if name == b"host":
            host = value if host is None else host
        elif name == b"accept":
            accept = value if accept is None else accept
        elif name == b"if-none-match":
            if_none_match = value if if_none_match is None else if_none_match
        elif name == b"accept-encoding":
            accept_encoding = value if accept_encoding is None else accept_encoding
    if host is None:
        return None
    path: str = scope["path"]
    query: bytes = scope.get("query_string", b"")
    accept = accept or b""
    if len(path) + len(query) + len(host) + len(accept) > MAX_KEY_BYTES:
        return None
    return ReadRequest(
        key=(scope.get("scheme", "http"), path, query, host, accept),
        if_none_match=if_none_match.decode("latin-1") if if_none_match is not None else None,
        accept_encoding=accept_encoding.decode("latin-1") if accept_encoding is not None else None,
    )


@dataclass(slots=True, frozen=True)
class IndexEntry:
    """How the app answered one request at one data revision; the body itself lives in `cache` by ETag."""

    revision: int
    etag: str
    # ETag, Last-Modified, Cache-Control and Vary, exactly as the app sent them.
    headers: dict[str, str]


class ReadIndex(Lru[RequestKey, IndexEntry]):
    """Request key -> IndexEntry, an LRU bounded by count.

    It holds no bodies: a body evicted from `cache` (bounded by bytes) is gone for the index too, and a
    request whose body is gone goes through the app again.
    """

    def __init__(self, max_entries: int = 4096) -> None:
        super().__init__(max_entries)


index = ReadIndex()

_PASSED_ON = ("content-type", "content-disposition", "link", "content-language")


def _freeze(response: Response) -> CachedBody:
    body = bytes(response.body)
    headers = {k: v for k, v in response.headers.items() if k.lower() in _PASSED_ON}
    # The full content type (with its charset), as sent: a page kept for other workers (app.cache.page_store)
    # is answered with it, and must look the same as the page its publish hook stored.
    media_type = response.headers.get("content-type") or response.media_type or ""
    return CachedBody(body=body, gzipped=None, media_type=media_type, headers=headers)


class SharedStore(Protocol):
    """Answers kept where every worker finds them (app.cache.page_store.SharedPage)."""

    def load(self, encoding: str | None) -> CachedBody | None:
        """The kept answer if it is still current, with its body in `encoding` (None: uncompressed)."""
        ...

    def keep(self, entry: CachedBody) -> None:
        """Keep an answer just built (called after it was sent); a failure must cost the next reader a build."""
        ...


def negotiated_encoding(entry: CachedBody, accept_encoding: str | None) -> str | None:
    return preferred_encoding(accept_encoding, ENCODINGS) if entry.compressible else None


def body_response(entry: CachedBody, headers: dict[str, str], encoding: str | None, data: bytes) -> Response:
    """The 200 for a cached body; the one place its headers are assembled, for the app and the fast path alike."""
    out = {**entry.headers, **headers}
    if encoding is not None:
        out["Content-Encoding"] = encoding
    return Response(data, headers=out)


def not_modified_answer(headers: dict[str, str]) -> Response:
    return Response(status_code=304, headers=headers)


def revision_cached(
    request: Request,
    revision: DataRevision,
    build: Callable[[], Response],
    *,
    vary: tuple[object, ...] = (),
    max_age: int = 0,
    shared: SharedStore | None = None,
) -> Response:
    """Answer 304, a cached copy, or build (and cache) the response.

    `vary` lists whatever besides the URL shapes the response (e.g. the negotiated format); responses that
    depend on who asks must not come through here. `shared` is where every worker keeps this answer
    (app.cache.page_store): looked in before building, given what was built.
    """
    etag = etag_for(revision, request.url.path, request.url.query, *vary)
    headers = cache_headers(etag, revision.changed_at, max_age=max_age)
    if not_modified(request, etag):
        _file(request, revision, etag, headers)
        return not_modified_answer(headers)
    entry = cache.get(etag)
    if entry is None and shared is not None:
        entry = shared.load(preferred_encoding(request.headers.get("accept-encoding"), ENCODINGS))
        if entry is not None:
            cache.put(etag, entry)
    built = entry is None
    if entry is None:
        in_flight = flights.claim(etag)
        if in_flight is not None:
            # Another reader of this process is building this very answer: read it from the cache once done.
            # The transaction that read the revision gives its connection back first: a wave of waiters
            # holding the pool's connections would make every other request queue for one.
            reader = object_session(revision)
            if reader is not None:
                release_connection(reader)
            in_flight.wait(WAIT_SECONDS)
            entry = cache.get(etag)
            built = entry is None
        if entry is None:
            try:
                made = _build(build, etag)
            finally:
                if in_flight is None:
                    flights.done(etag)  # after the answer is in the cache, where the waiters look
            if isinstance(made, Response):
                return made
            entry = made
    _file(request, revision, etag, headers)
    encoding = negotiated_encoding(entry, request.headers.get("accept-encoding"))
    if encoding is None:
        data = entry.body
    elif (found := entry.encoded(encoding)) is not None:
        data = found
    else:
        # Compressed on first demand only: the request right after a data change pays for one encoding.
        data = compress(entry.body, encoding, quality=BROTLI_QUALITY_ON_DEMAND)
        cache.add_encoding(etag, entry, encoding, data)
    response = body_response(entry, headers, encoding, data)
    if built and shared is not None:
        # Once the answer has gone, in a transaction of its own: a read must never wait for the write lock
        # (or fail on it). After compressing, so the store reuses the client's encoding.
        response.background = BackgroundTask(shared.keep, entry)
    return response


def _build(build: Callable[[], Response], etag: str) -> CachedBody | Response:
    """The answer built and cached, or the response itself when it is not a 200 (never cached)."""
    response = build()
    if response.status_code != 200:
        return response
    entry = _freeze(response)
    cache.put(etag, entry)
    return entry


def _file(request: Request, revision: DataRevision, etag: str, headers: dict[str, str]) -> None:
    """Remember this answer under the request, for the fast path to repeat while the revision holds."""
    wanted = read_request(request.scope)
    if wanted is not None:
        index.put(wanted.key, IndexEntry(revision=revision.revision, etag=etag, headers=headers))
