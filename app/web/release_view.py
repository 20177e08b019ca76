"""The release a company page is built around: `?release=YYYY-MM`, its cards, summary, selector and header.

The page shows one monthly release whole (app.domain.release). Without `release` it is the latest month the
company published inside the range; with it, any past release, so "the January 2025 update" has a permalink.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import HTTPException, Request

from app.domain.month_views import kept_site_view, site_view
from app.domain.release import (
    RELEASE_METRICS,
    ReleaseInfo,
    pick_release,
    release_cards,
    release_source,
    selected_sites_series,
    site_metrics,
)
from app.domain.release_summary import events_of_month, summary_sentences
from app.domain.reports import MonthView
from app.schemas import format_period
from app.web.view_params import ViewParams, query_period

if TYPE_CHECKING:
    from app.store.models import Company, Event


def parse_release(request: Request) -> dt.date | None:
    """The `release` of the query string; a clear 400 for anything that is not a month."""
    return query_period(request.query_params.get("release"), "release", hint="; use YYYY-MM, e.g. release=2025-01")


def release_query(params: ViewParams, period: dt.date) -> str:
    """The page's query string showing one release, keeping the view's range and site filter."""
    base = params.query().removeprefix("?")
    pair = urlencode([("release", format_period(period))])
    return f"?{base}&{pair}" if base else f"?{pair}"


def _hidden_fields(params: ViewParams) -> list[tuple[str, str]]:
    """The view's choices as hidden inputs of the release selector, so choosing a release keeps them."""
    return parse_qsl(params.query().removeprefix("?"))


def release_context(
    company: Company,
    *,
    releases: Sequence[ReleaseInfo],
    history: Sequence[MonthView],
    bounds: tuple[dt.date, dt.date] | None,
    params: ViewParams,
    events: Sequence[Event],
    wanted: dt.date | None,
    site_names: Mapping[str, str] | None = None,
    kept: bool = True,
) -> dict[str, Any]:
    """What the page's release header, cards, summary and selector render.

    `kept` says whether `history` holds kept views (app.domain.month_memo), whose site months may be kept too.
    A `wanted` release the company never published is a 404; one outside the months chosen is a 400 (the
    cards never show a month the range leaves out).
    """
    if wanted is not None:
        if pick_release(releases, None, wanted) is None:
            raise HTTPException(
                status_code=404, detail=f"release: {company.name} published no figures for {wanted:%B %Y}"
            )
        if bounds is None or not bounds[0] <= wanted <= bounds[1]:
            raise HTTPException(
                status_code=400,
                detail=f"release: {wanted:%B %Y} is outside the months chosen; widen the range or drop it",
            )
    release = pick_release(releases, bounds, wanted)
    in_range = [r for r in releases if bounds is not None and bounds[0] <= r.period <= bounds[1]]
    if release is None:
        return {"release": None, "cards": [], "summary": [], "release_list": in_range, "release_events": []}
    filtered = bool(params.sites)
    # A site's months are kept beside kept views; views as of a moment are built for one page, and so are theirs.
    one_site = kept_site_view if kept else site_view
    views = selected_sites_series(history, params.sites, one_site=one_site) if filtered else list(history)
    metrics = site_metrics() if filtered else RELEASE_METRICS
    cards = release_cards(views, release.period, metrics=metrics, site_names=site_names)
    return {
        "release": release,
        "release_source": release_source(release.source_url),
        "cards": cards,
        "summary": summary_sentences(cards, events, release.period),
        "release_events": events_of_month(events, release.period),
        "release_list": list(reversed(in_range)),
        "release_hidden": _hidden_fields(params),
        "release_latest": in_range[-1].period if in_range else None,
        "release_permalink": release_query(params, release.period),
    }
