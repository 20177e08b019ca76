"""Every SELECT and write of the app. Functions take a keyword-only session and never commit.

This package holds the read queries shared by pages and API; each area adds its own module
(`app.store.queries.<area>`) rather than growing this file.
"""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import BindParameter, Select, Text, bindparam, case, cast, func, null, or_, select, update
from sqlalchemy.orm import QueryableAttribute, Session

from app.domain.figure_history import HistoryEntry
from app.domain.month_memo import MonthMemo, assemble_series
from app.domain.month_views import kept_site_view
from app.domain.reports import MonthView, SeriesInputs, add_months, site_lives
from app.store.models import (
    Company,
    CompanyMonth,
    DataRevision,
    Event,
    NetworkMonth,
    RecordStatus,
    Site,
    SiteMonth,
    utcnow,
)
from app.store.queries.figure_history import list_history
from app.store.queries.month_stamps import Stamps, month_keys
from app.store.queries.site_spans import sites_with_spans


def list_companies(*, session: Session) -> Sequence[Company]:
    return session.scalars(select(Company).order_by(Company.name)).all()


# Where get_company holds the data revision row for the rest of the request (see there).
_REVISION_ROW = "minedash.data_revision"


def get_company(slug: str, *, session: Session) -> Company | None:
    """The company by slug. The data revision row comes with it (outer-joined, so a fresh database without one
    still finds its companies): every page and answer about a company reads the revision next, and
    get_data_revision then finds it in the session instead of asking the database again."""
    found = session.execute(
        select(Company, DataRevision).outerjoin(DataRevision, DataRevision.id == 1).where(Company.slug == slug)
    ).first()
    if found is None:
        return None
    # The session's identity map holds rows weakly: held here, the revision stays there for session.get.
    session.info[_REVISION_ROW] = found[1]
    return found[0]


def list_sites(company_id: int, *, session: Session) -> Sequence[Site]:
    return session.scalars(select(Site).where(Site.company_id == company_id).order_by(Site.name)).all()


def get_site(company_id: int, slug: str, *, session: Session) -> Site | None:
    return session.scalar(select(Site).where(Site.company_id == company_id, Site.slug == slug))


_S = TypeVar("_S", bound=Select[Any])


def _in_range(
    stmt: _S,
    column: QueryableAttribute[dt.date],
    start: dt.date | BindParameter[Any] | None,
    end: dt.date | BindParameter[Any] | None,
) -> _S:
    if start is not None:
        stmt = stmt.where(column >= start)
    if end is not None:
        stmt = stmt.where(column <= end)
    return stmt


def list_company_months(
    company_id: int,
    *,
    session: Session,
    start: dt.date | None = None,
    end: dt.date | None = None,
    published_only: bool = True,
) -> Sequence[CompanyMonth]:
    stmt = select(CompanyMonth).where(CompanyMonth.company_id == company_id)
    if published_only:
        stmt = stmt.where(CompanyMonth.status == RecordStatus.published)
    stmt = _in_range(stmt, CompanyMonth.period, start, end)
    return session.scalars(stmt.order_by(CompanyMonth.period)).all()


def list_site_months(
    company_id: int,
    *,
    session: Session,
    start: dt.date | None = None,
    end: dt.date | None = None,
    site_ids: Sequence[int] | None = None,
    published_only: bool = True,
) -> Sequence[SiteMonth]:
    stmt = select(SiteMonth).join(Site, Site.id == SiteMonth.site_id).where(Site.company_id == company_id)
    if site_ids is not None:
        stmt = stmt.where(SiteMonth.site_id.in_(site_ids))
    if published_only:
        stmt = stmt.where(SiteMonth.status == RecordStatus.published)
    stmt = _in_range(stmt, SiteMonth.period, start, end)
    return session.scalars(stmt.order_by(SiteMonth.period, SiteMonth.site_id)).all()


def list_network_months(
    *, session: Session, start: dt.date | None = None, end: dt.date | None = None
) -> Sequence[NetworkMonth]:
    stmt = _in_range(select(NetworkMonth), NetworkMonth.period, start, end)
    return session.scalars(stmt.order_by(NetworkMonth.period)).all()


def list_events(
    *,
    session: Session,
    company_id: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Sequence[Event]:
    """Events of one company plus those that concern every company (the halving)."""
    stmt = select(Event)
    if company_id is not None:
        stmt = stmt.where(or_(Event.company_id == company_id, Event.company_id.is_(None)))
    stmt = _in_range(stmt, Event.date, start, end)
    return session.scalars(stmt.order_by(Event.date, Event.id)).all()


def published_period_bounds(company_id: int, *, session: Session) -> tuple[dt.date | None, dt.date | None]:
    """First and last month with any published figure of the company (site or company level)."""
    # The site ids first: joined to `site`, Postgres read every company's site months (6–9 ms on twenty companies
    # of ten years); by site id it reads only this company's, from the (site_id, period) index (1.3 ms).
    site_ids = session.scalars(select(Site.id).where(Site.company_id == company_id)).all()
    return _period_bounds(company_id, reported_spans(site_ids, session=session), session=session)


def _period_bounds(
    company_id: int, site_spans: dict[int, tuple[dt.date, dt.date]], *, session: Session
) -> tuple[dt.date | None, dt.date | None]:
    """`published_period_bounds` from the company's sites' published spans, when the caller has read them."""
    company_q = select(func.min(CompanyMonth.period), func.max(CompanyMonth.period)).where(
        CompanyMonth.company_id == company_id, CompanyMonth.status == RecordStatus.published
    )
    spans = list(site_spans.values())
    low, high = session.execute(company_q).one()
    if low is not None and high is not None:
        spans.append((low, high))
    if not spans:
        return None, None
    return min(first for first, _ in spans), max(last for _, last in spans)


# Row bookkeeping that no series reads; converting three timestamps per row cost more than the figures.
_BOOKKEEPING = frozenset({"id", "status", "version", "published_at", "updated_by", "created_at", "updated_at"})


def _month_rows(
    model: type[SiteMonth] | type[CompanyMonth] | type[NetworkMonth],
    owners: Sequence[int] | None,
    *,
    session: Session,
    start: dt.date | None,
    end: dt.date | None,
    published_only: bool,
) -> list[Any]:
    """Read-only month rows as light named tuples with the ORM attribute names: a company's (`owners`: its id),
    some sites' (their ids), or the network's (None).

    With years of site months, building and tracking an ORM instance per row, and reading attributes from
    SQLAlchemy rows, cost more than the query itself; a named tuple reads an attribute at C speed.
    """
    # Network figures are reference data, never drafts.
    published = published_only and model is not NetworkMonth
    stmt, record = _month_statement(model, owners is not None, start is not None, end is not None, published)
    values = {"owners": owners, "start": start, "end": end}
    make = record._make
    # Through the connection, not the ORM session: these are plain rows, and the ORM's execution layer
    # cost as much as reading them. Flushed first, as the session's own execute would.
    session.flush()
    # .all(): one fetchall from the driver, where iterating the result fetches row by row.
    rows = session.connection().execute(stmt, {k: v for k, v in values.items() if v is not None}).all()
    return [make(row) for row in rows]


@cache
def _month_statement(
    model: type[SiteMonth] | type[CompanyMonth] | type[NetworkMonth],
    by_owner: bool,
    start: bool,
    end: bool,
    published_only: bool,
) -> tuple[Select[Any], Any]:
    """`_month_rows`' statement, built once per shape with its values as parameters (building it and its cache
    key on every series load cost about a millisecond each), and the named tuple of its rows."""
    table = model.__table__
    columns = [
        # Per-figure provenance as JSON text, parsed once per distinct text (app.domain.figure_sources), not
        # decoded into a fresh dict per row by the driver. Most rows carry none: NULL for an empty object.
        case((cast(c, Text) == "{}", null()), else_=cast(c, Text)).label(c.name) if c.name == "figure_sources" else c
        for c in table.c
        if c.name not in _BOOKKEEPING
    ]
    stmt = select(*columns)
    if by_owner:
        owner = CompanyMonth.company_id if model is CompanyMonth else SiteMonth.site_id
        stmt = stmt.where(owner.in_(bindparam("owners", expanding=True)))
    if published_only:
        stmt = stmt.where(model.status == RecordStatus.published)  # type: ignore[union-attr]
    stmt = _in_range(stmt, model.period, bindparam("start") if start else None, bindparam("end") if end else None)
    return stmt.order_by(model.period), _record_type(model.__tablename__, tuple(c.name for c in columns))


@cache
def _record_type(name: str, fields: tuple[str, ...]) -> Any:
    return namedtuple(f"{name}_record", fields)


# session.info key: the companies whose published data the session's open transaction changed. The store only
# notes them; after the commit, app.cache.publish_hooks reads them and renders those companies' pages ahead.
CHANGED_COMPANIES = "minedash.published_companies"


# Finished month views, kept between builds by their months' stamps (app.domain.month_memo,
# app.store.queries.month_stamps): after a correction, a build reads and assembles the months it changed and takes
# the others from here. A ten-site month with its
# rows takes about 23 KB (tracemalloc, the benchmark's data), so 2,048 months (seventeen companies' ten years)
# take about 50 MB per process.
MONTH_VIEWS = MonthMemo(capacity=2048)


def get_data_revision(*, session: Session) -> DataRevision:
    """The revision row; created on first use so a fresh database needs no seeding."""
    row = session.get(DataRevision, 1)
    if row is None:
        row = DataRevision(id=1, revision=0, changed_at=utcnow())
        session.add(row)
        session.flush()
    return row


def bump_data_revision(*, session: Session, companies: Iterable[int | None] = ()) -> None:
    """Record that published data changed; ETags and caches keyed by the revision go stale.

    `companies` names the companies whose pages the change alters: their `changed_revision` moves to the new
    revision and their overview is rendered again as soon as the transaction commits (app.cache.publish_hooks). A
    change that names none (network figures, say) counts as a change to every company.
    """
    named = {c for c in companies if c is not None}
    session.info.setdefault(CHANGED_COMPANIES, set()).update(named)
    get_data_revision(session=session)
    revision = session.execute(
        update(DataRevision)
        .where(DataRevision.id == 1)
        .values(revision=DataRevision.revision + 1, changed_at=utcnow())
        .returning(DataRevision.revision)
    ).scalar_one()
    # Bookkeeping for caches, not an edit of the company: its updated_at stays as it was.
    stamp = update(Company).values(changed_revision=revision, updated_at=Company.updated_at)
    session.execute(stamp.where(Company.id.in_(named)) if named else stamp)


def reported_spans(
    site_ids: Sequence[int], *, session: Session, published_only: bool = True
) -> dict[int, tuple[dt.date, dt.date]]:
    """Each site's first and last month with a row (published, unless `published_only=False`), over all months.

    A series reads the rows of its range only, but a site without a recorded energized month operates from the
    first month it ever reported (app.domain.coverage.SiteLife): without this, the same month's total would name
    different sites for different ranges. One grouped statement on the (site_id, period) index.
    """
    if not site_ids:
        return {}
    stmt = (
        select(SiteMonth.site_id, func.min(SiteMonth.period), func.max(SiteMonth.period))
        .where(SiteMonth.site_id.in_(site_ids))
        .group_by(SiteMonth.site_id)
    )
    if published_only:
        stmt = stmt.where(SiteMonth.status == RecordStatus.published)
    return {site_id: (first, last) for site_id, first, last in session.execute(stmt)}


def load_company_series(
    company: Company,
    *,
    session: Session,
    start: dt.date | None = None,
    end: dt.date | None = None,
    published_only: bool = True,
    sites: Sequence[Site] | None = None,
    spans: dict[int, tuple[dt.date, dt.date]] | None = None,
    stamps: Stamps | None = None,
) -> tuple[Sequence[Site], list[MonthView]]:
    """The company's sites and one MonthView per month in [start, end] (default: all published months).

    A fixed number of queries whatever the number of months and sites. Months kept since their last change
    (MONTH_VIEWS, by their stamps) are not read again: only the span of the others is. A caller that has read the
    company's sites and their spans (as `sites_with_spans` gives them, with the same `published_only`) passes both,
    and one that read the company's stamps before any row (company_facts does) passes them.
    """
    if sites is None or spans is None:
        sites, spans = sites_with_spans(company.id, session=session, published_only=published_only)
    site_ids = [s.id for s in sites]
    if start is None or end is None:
        published = spans if published_only else reported_spans(site_ids, session=session)
        first, last = _period_bounds(company.id, published, session=session)
        start = start or first
        end = end or last
    if start is None or end is None or start > end:
        return sites, []
    keys = month_keys(company.id, session=session, start=start, end=end, published_only=published_only, stamps=stamps)

    def load(first: dt.date, last: dt.date) -> tuple[SeriesInputs, list[HistoryEntry]]:
        # One month before, so the first month's treasury residual can be computed.
        company_months = _month_rows(
            CompanyMonth,
            [company.id],
            session=session,
            start=add_months(first, -1),
            end=last,
            published_only=published_only,
        )
        site_months = _month_rows(
            SiteMonth, site_ids, session=session, start=first, end=last, published_only=published_only
        )
        network_months = _month_rows(NetworkMonth, None, session=session, start=first, end=last, published_only=False)
        inputs = SeriesInputs(
            sites=sites,
            company_months=company_months,
            site_months=site_months,
            network_months=network_months,
            spans=spans,
        )
        # Each figure's title and its own corrections (so only corrected figures say "revised").
        return inputs, list_history(
            company.id, session=session, start=first, end=last, sites=sites, for_provenance=True
        )

    return sites, assemble_series(MONTH_VIEWS, _series_context(sites, spans), keys, load)


def load_site_series(
    site: Site,
    *,
    session: Session,
    start: dt.date,
    end: dt.date,
    published_only: bool = True,
    spans: dict[int, tuple[dt.date, dt.date]] | None = None,
    stamps: Stamps | None = None,
) -> list[MonthView]:
    """One site's months as app.domain.month_views.site_view makes each, reading only that site's rows.

    A site page needs the site's own figures and the network's, never its sister sites' or the company's:
    reading those would make a site's page cost as much as the whole company's. A caller that has the site's span
    as `reported_spans` gives it (with the same `published_only`) passes it.
    """
    if start > end:
        return []
    if spans is None:
        spans = reported_spans([site.id], session=session, published_only=published_only)
    keys = month_keys(
        site.company_id, session=session, start=start, end=end, published_only=published_only, stamps=stamps
    )

    def load(first: dt.date, last: dt.date) -> tuple[SeriesInputs, list[HistoryEntry]]:
        site_months = _month_rows(
            SiteMonth, [site.id], session=session, start=first, end=last, published_only=published_only
        )
        network_months = _month_rows(NetworkMonth, None, session=session, start=first, end=last, published_only=False)
        inputs = SeriesInputs(
            sites=[site], company_months=[], site_months=site_months, network_months=network_months, spans=spans
        )
        return inputs, list_history(
            site.company_id, session=session, start=first, end=last, site_id=site.id, sites=[site], for_provenance=True
        )

    views = assemble_series(MONTH_VIEWS, _series_context([site], spans), keys, load)
    return [kept_site_view(view, site.slug) for view in views]


def _series_context(sites: Sequence[Site], spans: dict[int, tuple[dt.date, dt.date]]) -> tuple[Any, ...]:
    """What every month's view of a series reads besides its own rows: the sites, their slugs and their lives (the
    lives from all their reported months, as SeriesInputs makes them, so the same whatever rows are read)."""
    return tuple(sorted((s.id, s.slug) for s in sites)), tuple(site_lives(sites, (), spans))
