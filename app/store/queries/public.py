"""Keyset-paged reads of published data for the public API (stable order, each row exactly once)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from app.store.models import Company, Event, NetworkMonth, RecordStatus, Site, SiteMonth


def page_companies(*, session: Session, after: str | None, limit: int) -> Sequence[Company]:
    stmt = select(Company).order_by(Company.slug).limit(limit)
    if after is not None:
        stmt = stmt.where(Company.slug > after)
    return session.scalars(stmt).all()


def page_sites(company_id: int, *, session: Session, after: str | None, limit: int) -> Sequence[Site]:
    stmt = select(Site).where(Site.company_id == company_id).order_by(Site.slug).limit(limit)
    if after is not None:
        stmt = stmt.where(Site.slug > after)
    return session.scalars(stmt).all()


def page_site_months(
    company_id: int,
    *,
    session: Session,
    site_slugs: Sequence[str] | None,
    start: dt.date | None,
    end: dt.date | None,
    after: tuple[dt.date, str] | None = None,
    limit: int | None = None,
) -> Sequence[tuple[SiteMonth, str]]:
    """Published site months ordered by (period, site slug), with the site's slug."""
    stmt = (
        select(SiteMonth, Site.slug)
        .join(Site, Site.id == SiteMonth.site_id)
        .where(Site.company_id == company_id, SiteMonth.status == RecordStatus.published)
    )
    if site_slugs is not None:
        stmt = stmt.where(Site.slug.in_(site_slugs))
    if start is not None:
        stmt = stmt.where(SiteMonth.period >= start)
    if end is not None:
        stmt = stmt.where(SiteMonth.period <= end)
    if after is not None:
        period, slug = after
        stmt = stmt.where(or_(SiteMonth.period > period, and_(SiteMonth.period == period, Site.slug > slug)))
    stmt = stmt.order_by(SiteMonth.period, Site.slug)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [(row, slug) for row, slug in session.execute(stmt).all()]


def page_network_months(
    *,
    session: Session,
    start: dt.date | None,
    end: dt.date | None,
    after: dt.date | None = None,
    limit: int | None = None,
) -> Sequence[NetworkMonth]:
    stmt = select(NetworkMonth)
    if start is not None:
        stmt = stmt.where(NetworkMonth.period >= start)
    if end is not None:
        stmt = stmt.where(NetworkMonth.period <= end)
    if after is not None:
        stmt = stmt.where(NetworkMonth.period > after)
    stmt = stmt.order_by(NetworkMonth.period)
    return session.scalars(stmt if limit is None else stmt.limit(limit)).all()


def page_events(
    *,
    session: Session,
    company_id: int | None,
    start: dt.date | None,
    end: dt.date | None,
    kind: str | None,
    after: tuple[dt.date, int] | None,
    limit: int,
) -> Sequence[tuple[Event, str | None, str | None]]:
    """Events with their company's and site's slugs, ordered by (date, id)."""
    stmt = (
        select(Event, Company.slug, Site.slug)
        .outerjoin(Company, Company.id == Event.company_id)
        .outerjoin(Site, Site.id == Event.site_id)
    )
    if company_id is not None:
        # A company's events plus those that concern every company (the halving).
        stmt = stmt.where(or_(Event.company_id == company_id, Event.company_id.is_(None)))
    if start is not None:
        stmt = stmt.where(Event.date >= start)
    if end is not None:
        stmt = stmt.where(Event.date <= end)
    if kind is not None:
        stmt = stmt.where(Event.kind == kind)
    if after is not None:
        day, event_id = after
        stmt = stmt.where(or_(Event.date > day, and_(Event.date == day, Event.id > event_id)))
    stmt = stmt.order_by(Event.date, Event.id).limit(limit)
    return [(event, company, site) for event, company, site in session.execute(stmt).all()]


def site_period_bounds(site_id: int, *, session: Session) -> tuple[dt.date | None, dt.date | None]:
    """First and last month with a published figure of the site."""
    stmt = select(func.min(SiteMonth.period), func.max(SiteMonth.period)).where(
        SiteMonth.site_id == site_id, SiteMonth.status == RecordStatus.published
    )
    low, high = session.execute(stmt).one()
    return low, high
