"""A site's life: its capacity history (site_capacity) and the check that a figure falls inside its months."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store.models import Site, SiteCapacity


def list_site_capacity(site_id: int, *, session: Session) -> list[SiteCapacity]:
    """The site's capacity entries, oldest first."""
    return list(
        session.scalars(select(SiteCapacity).where(SiteCapacity.site_id == site_id).order_by(SiteCapacity.effective_on))
    )


def set_site_capacity(
    site: Site, effective_on: dt.date, capacity_mw: Decimal, source_url: str | None = None, *, session: Session
) -> SiteCapacity:
    """Record the capacity from a month on (replacing an entry of the same month); the site's `capacity_mw`
    follows the latest entry, so the pages and the API that read it stay current."""
    month = effective_on.replace(day=1)
    entry = session.scalar(
        select(SiteCapacity).where(SiteCapacity.site_id == site.id, SiteCapacity.effective_on == month)
    )
    if entry is None:
        entry = SiteCapacity(site_id=site.id, effective_on=month, capacity_mw=capacity_mw, source_url=source_url)
        session.add(entry)
    else:
        entry.capacity_mw, entry.source_url = capacity_mw, source_url
    session.flush()
    latest = list_site_capacity(site.id, session=session)[-1]
    site.capacity_mw = latest.capacity_mw
    return entry


def seed_site_capacity(site: Site, *, session: Session) -> None:
    """A site with a capacity and no history gets its first entry at its energized month (else today's month)."""
    if site.capacity_mw is None or list_site_capacity(site.id, session=session):
        return
    start = site.energized_on or dt.date.today()
    set_site_capacity(site, start, site.capacity_mw, session=session)


def follow_capacity(site: Site, previous: Decimal | None, *, session: Session) -> None:
    """After a site's fields are saved: a first capacity starts its history at the energized month; a changed
    capacity is a new entry from this month on (dated entries are added one by one on the site's form)."""
    if site.capacity_mw is None:
        return
    if not list_site_capacity(site.id, session=session):
        seed_site_capacity(site, session=session)
    elif site.capacity_mw != previous:
        set_site_capacity(site, dt.date.today(), site.capacity_mw, session=session)


def replace_site_capacity(
    site: Site, entries: Sequence[tuple[dt.date, Decimal, str | None]], *, session: Session
) -> None:
    """The whole history at once (the API's PUT): entries not listed are removed."""
    keep = {month.replace(day=1) for month, _, _ in entries}
    for entry in list_site_capacity(site.id, session=session):
        if entry.effective_on not in keep:
            session.delete(entry)
    session.flush()
    for month, capacity, url in entries:
        set_site_capacity(site, month, capacity, url, session=session)
