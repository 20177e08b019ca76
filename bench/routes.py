"""The routes the benchmark drives, in one table: add a row when the app grows a page or an endpoint.

A route that the app under test does not serve yet (404, or not the expected content type) is reported as
missing and skipped, so the same benchmark runs on every branch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from app.domain.reports import add_months

END = dt.date(2026, 10, 1)  # the last generated month
SLUG, SITE = "miner-000", "site-00"


@dataclass(frozen=True, slots=True)
class Context:
    """What a route's path is built from."""

    slug: str = SLUG
    site: str = SITE
    # A company the after-change samples do not correct: its pages must outlive a correction to `slug`.
    other: str = "miner-001"
    first: str = f"{add_months(END, -119):%Y-%m}"  # ten years of months
    last: str = f"{END:%Y-%m}"


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    path: Callable[[Context], str]
    # Substring the response's content type must contain; catches e.g. `?format=csv` answered with JSON.
    content_type: str | None = None
    # Send If-None-Match with the ETag of a first response: measures a revalidation (304).
    revalidate: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    is_ceiling: bool = False
    # Also measured right after a published correction: no cache of earlier answers can help.
    after_change: bool = False


ROUTES: tuple[Route, ...] = (
    Route("ceiling: bare endpoint, no work", lambda c: "/healthz", "json", is_ceiling=True),
    Route("overview page", lambda c: f"/companies/{c.slug}", "text/html", after_change=True),
    # The same ten years asked for as a from-to range: only the default view (the bare URL, or `?range=all`
    # since run H) is rendered when data is published, so right after a change this one shows what a full
    # build on demand costs. Until run G this row was `?range=all`.
    Route(
        "overview, ten years by from-to (on demand)",
        lambda c: f"/companies/{c.slug}?from={c.first}&to={c.last}",
        "text/html",
        after_change=True,
    ),
    Route("overview, ?range=all", lambda c: f"/companies/{c.slug}?range=all", "text/html", after_change=True),
    Route(
        "overview, site filter (on demand)",
        lambda c: f"/companies/{c.slug}?site={c.site}",
        "text/html",
        after_change=True,
    ),
    Route("overview, 304 revalidation", lambda c: f"/companies/{c.slug}", revalidate=True),
    # Right after a correction to another company: still served from the pages every worker shares.
    Route("another company's overview", lambda c: f"/companies/{c.other}", "text/html", after_change=True),
    Route("site page", lambda c: f"/companies/{c.slug}/sites/{c.site}", "text/html", after_change=True),
    Route(
        "monthly API, 120 months",
        lambda c: f"/api/v1/companies/{c.slug}/monthly?from={c.first}&to={c.last}",
        "json",
        after_change=True,
    ),
    Route(
        "monthly API, 304 revalidation",
        lambda c: f"/api/v1/companies/{c.slug}/monthly?from={c.first}&to={c.last}",
        revalidate=True,
    ),
    Route(
        "chart table page",
        lambda c: f"/companies/{c.slug}/charts/btc_mined?from={c.first}&to={c.last}",
        "text/html",
        after_change=True,
    ),
    Route(
        "chart CSV download",
        lambda c: f"/companies/{c.slug}/charts/btc_mined.csv?from={c.first}&to={c.last}",
        "text/csv",
        after_change=True,
    ),
    Route(
        "CSV export, 120 months",
        lambda c: f"/api/v1/companies/{c.slug}/monthly?from={c.first}&to={c.last}&format=csv",
        "text/csv",
        after_change=True,
    ),
)
