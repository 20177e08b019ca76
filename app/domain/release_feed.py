"""A company's releases as an Atom feed (RFC 4287): one entry per release, one per correction (pure).

Entry ids are tag: URIs (RFC 4151) built from the company's slug and the month only, so a reader keeps
recognising an entry whatever host served it; a correction's id adds the moment it was made, so each
correction is news of its own while the release's entry stays the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from xml.etree import ElementTree as ET

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
# The tagging entity of every id: a name and the year the scheme was set; never changed once used.
TAG_AUTHORITY = "minedash,2025"


@dataclass(frozen=True, slots=True)
class FeedEntry:
    id: str
    title: str
    updated: dt.datetime
    link: str
    summary: str


def feed_id(slug: str) -> str:
    return f"tag:{TAG_AUTHORITY}:{slug}/releases"


def release_id(slug: str, period: dt.date) -> str:
    return f"tag:{TAG_AUTHORITY}:{slug}/release/{period:%Y-%m}"


def correction_id(slug: str, period: dt.date, revised_at: dt.datetime) -> str:
    return f"tag:{TAG_AUTHORITY}:{slug}/correction/{period:%Y-%m}/{_utc(revised_at):%Y%m%dT%H%M%SZ}"


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _stamp(moment: dt.datetime) -> str:
    return _utc(moment).isoformat(timespec="seconds").replace("+00:00", "Z")


def atom_feed(
    *,
    feed_id: str,
    title: str,
    self_url: str,
    page_url: str,
    entries: Sequence[FeedEntry],
    fallback_updated: dt.datetime,
) -> bytes:
    """The feed document, newest entry first; `fallback_updated` dates a feed with no entries."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{name}", attrs)
        if text is not None:
            element.text = text
        return element

    ordered = sorted(entries, key=lambda e: (_utc(e.updated), e.id), reverse=True)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", feed_id)
    sub(feed, "title", title)
    sub(feed, "updated", _stamp(ordered[0].updated if ordered else fallback_updated))
    sub(feed, "link", rel="self", type=MEDIA_TYPE, href=self_url)
    sub(feed, "link", rel="alternate", type="text/html", href=page_url)
    author = sub(feed, "author")
    sub(author, "name", "Minedash")
    for entry in ordered:
        node = sub(feed, "entry")
        sub(node, "id", entry.id)
        sub(node, "title", entry.title)
        sub(node, "updated", _stamp(entry.updated))
        sub(node, "link", rel="alternate", type="text/html", href=entry.link)
        sub(node, "summary", entry.summary, type="text")
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))
