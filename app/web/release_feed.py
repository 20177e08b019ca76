"""GET /companies/{slug}/releases.atom: the company's releases and their corrections as an Atom feed.

Each entry links to the release's permalink on the company page (`?release=YYYY-MM`) and summarises it in
the same sentences the page shows.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.cache.responses import revision_cached
from app.domain.release import ReleaseInfo, release_cards
from app.domain.release_feed import MEDIA_TYPE, FeedEntry, atom_feed, correction_id, feed_id, release_id
from app.domain.release_summary import summary_sentences
from app.domain.reports import MonthView, add_months
from app.http.deps import CompanyOr404, SessionDep
from app.store import queries
from app.store.models import Company, Event
from app.store.queries.releases import list_releases
from app.web.page_helpers import HISTORY_MONTHS

router = APIRouter()


def _entries(
    company: Company, releases: list[ReleaseInfo], views: list[MonthView], events: Sequence[Event], base: str
) -> list[FeedEntry]:
    entries: list[FeedEntry] = []
    page = f"{base}companies/{company.slug}"
    for release in releases:
        month = f"{release.period:%B %Y}"
        summary = " ".join(summary_sentences(release_cards(views, release.period), events, release.period))
        link = f"{page}?release={release.period:%Y-%m}"
        published = release.published_at or release.revised_at
        if published is not None:
            entries.append(
                FeedEntry(
                    release_id(company.slug, release.period),
                    f"{company.name}: {month} release",
                    published,
                    link,
                    summary,
                )
            )
        if release.corrected and release.revised_at is not None:
            why = f" {release.revision_reason.rstrip('.')}." if release.revision_reason else ""
            entries.append(
                FeedEntry(
                    correction_id(company.slug, release.period, release.revised_at),
                    f"{company.name}: {month} release corrected",
                    release.revised_at,
                    link,
                    f"Corrected {release.revised_at:%d %b %Y}.{why} {summary}",
                )
            )
    return entries


@router.get("/companies/{slug}/releases.atom", name="dashboard:releases_feed")
def releases_feed(request: Request, company: CompanyOr404, session: SessionDep) -> Response:
    """One entry per published release and one per correction, newest first."""
    revision = queries.get_data_revision(session=session)
    base = str(request.base_url)

    def build() -> Response:
        releases = list_releases(company.id, session=session)
        views: list[MonthView] = []
        if releases:
            _, views = queries.load_company_series(
                company,
                session=session,
                start=add_months(releases[0].period, -HISTORY_MONTHS),
                end=releases[-1].period,
            )
        events = queries.list_events(session=session, company_id=company.id)
        body = atom_feed(
            feed_id=feed_id(company.slug),
            title=f"{company.name} monthly releases",
            self_url=f"{base}companies/{company.slug}/releases.atom",
            page_url=f"{base}companies/{company.slug}",
            entries=_entries(company, releases, views, events, base),
            fallback_updated=revision.changed_at,
        )
        return Response(body, media_type=MEDIA_TYPE)

    # The links are absolute: the host that was asked is part of the answer.
    return revision_cached(request, revision, build, vary=(base,))
