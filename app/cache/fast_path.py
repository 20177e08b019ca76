"""The fast path: a repeated public read answered before routing, from what the app answered last time.

A cached answer from app.cache.responses still cost routing, dependency injection (sync dependencies hop to
the thread pool), an ORM session, loading the company and reading the revision row through the ORM. Here
a GET without credentials whose exact request (see response_cache.read_request) the app already answered
through `revision_cached` is answered again, 304 or body, after one fresh revision read, provided the
revision is still the one the answer was made at. Anything else, including a revision that cannot be read,
goes through the app unchanged.

Installed innermost, so request ids, the access log, security headers and the other middleware treat these
answers exactly like the app's own.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.cache.etags import etag_matches
from app.cache.responses import (
    IndexEntry,
    ReadRequest,
    body_response,
    cache,
    index,
    negotiated_encoding,
    not_modified_answer,
    read_request,
)
from app.cache.revisions import RevisionReader


class ReadCacheMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            wanted = read_request(scope)
            entry = index.get(wanted.key) if wanted is not None else None
            if wanted is not None and entry is not None:
                # The app's state, not this instance's: the reader is chosen (and in tests replaced) there.
                reader: RevisionReader | None = getattr(scope["app"].state, "revision_reader", None)
                response = await answer(wanted, entry, reader)
                if response is not None:
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)


async def answer(wanted: ReadRequest, entry: IndexEntry, reader: RevisionReader | None) -> Response | None:
    """What the app would answer, or None to let it answer (revision moved or unreadable, body evicted)."""
    if reader is None or await reader.read() != entry.revision:
        return None
    if wanted.if_none_match is not None and etag_matches(wanted.if_none_match, entry.etag):
        return not_modified_answer(entry.headers)
    body = cache.get(entry.etag)
    if body is None:
        return None
    encoding = negotiated_encoding(body, wanted.accept_encoding)
    data = body.body if encoding is None else body.encoded(encoding)
    if data is None:
        # Not compressed this way yet: the app does it once, in its thread pool rather than on the event loop.
        return None
    return body_response(body, entry.headers, encoding, data)
