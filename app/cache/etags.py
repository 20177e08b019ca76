"""HTTP caching keyed by the data revision: ETags, Last-Modified and 304s for pages and the API.

Every published change bumps `data_revision` (see app.store.queries.bump_data_revision), so an ETag built from
the revision and the request's own inputs changes exactly when the response could. Several workers agree
without sharing memory because the revision lives in the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from email.utils import format_datetime

from fastapi import Request

from app.store.models import DataRevision

# Bump when templates or the response shape change, so browsers do not keep stale pages after a release.
RESPONSE_FORMAT_VERSION = "1"


def etag_for(revision: DataRevision, *parts: object) -> str:
    """A strong ETag for a response built from this data revision and these inputs (path, query, user…)."""
    key = "|".join([RESPONSE_FORMAT_VERSION, str(revision.revision), *(str(p) for p in parts)])
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def http_date(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return format_datetime(moment.astimezone(dt.UTC), usegmt=True)


def etag_matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match semantics: `*` or any listed tag (weak or strong) equal to ours."""
    if if_none_match.strip() == "*":
        return True
    candidates = [c.strip().removeprefix("W/") for c in if_none_match.split(",")]
    return etag in candidates


def not_modified(request: Request, etag: str) -> bool:
    """True when the client's cached copy (If-None-Match) is still current."""
    header = request.headers.get("if-none-match")
    return header is not None and etag_matches(header, etag)


def cache_headers(etag: str, changed_at: dt.datetime, *, max_age: int = 0) -> dict[str, str]:
    """Revalidate every time (cheap: a 304 costs one query) unless max_age allows a short reuse."""
    return {
        "ETag": etag,
        "Last-Modified": http_date(changed_at),
        "Cache-Control": f"public, max-age={max_age}, must-revalidate" if max_age else "no-cache",
        "Vary": "Accept, Accept-Encoding",
    }


def preferred_encoding(accept_encoding: str | None, available: tuple[str, ...]) -> str | None:
    """The first of `available` (best first) that the client accepts; None means send it uncompressed.

    Accept-Encoding is parsed properly enough that `br;q=0` refuses brotli and a bare `*` accepts anything.
    """
    if not accept_encoding:
        return None
    accepted: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        accepted[name.strip()] = quality
    for encoding in available:
        quality = accepted.get(encoding, accepted.get("*", 0.0))
        if quality > 0:
            return encoding
    return None
