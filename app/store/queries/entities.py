"""Admin writes of companies, sites and events.

Each write is audited in the same transaction and bumps the data revision (investors see names, sites and
events on every page, so cached pages must go stale). Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain.actors import Actor
from app.schemas.admin import CompanyCreate, EventCreate, SiteCreate
from app.store.models import AuditAction, Company, Event, Site, SiteMonth
from app.store.queries import bump_data_revision
from app.store.queries.audit import record_audit, snapshot
from app.store.queries.site_life import follow_capacity

COMPANY_FIELDS = ("name", "slug", "ticker", "fiscal_year_end_month", "website_url")
SITE_FIELDS = ("company_id", "name", "slug", "region", "status", "capacity_mw", "energized_on", "retired_on", "note")
T = TypeVar("T", Company, Site, Event)

EVENT_FIELDS = ("company_id", "site_id", "date", "title", "kind", "source_url", "description")


class EntityError(ValueError):
    """A refused write; `field` names the form field the message belongs beside."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@contextmanager
def _unique_or(session: Session, error: EntityError) -> Iterator[None]:
    """Make the change inside a savepoint; a unique-constraint clash becomes `error`.

    The checks before a write catch the usual mistakes; a concurrent insert of the same slug still reaches
    the constraint, and must come back as the same message (the request's transaction intact), not a 500.
    """
    try:
        with session.begin_nested():
            yield
            session.flush()
    except IntegrityError:
        raise error from None


def _apply(row: object, values: dict[str, object]) -> None:
    for key, value in values.items():
        setattr(row, key, value)


def _audited_update(
    row: T,
    values: dict[str, object],
    *,
    session: Session,
    actor: Actor,
    entity: str,
    fields: tuple[str, ...],
    clash: EntityError,
    scope: Callable[[T], tuple[int | None, int | None]],
) -> T:
    """Apply `values`, audit the change (before/after `fields`) and bump the revision; a no-op writes nothing.

    `scope` gives the (company_id, site_id) the audit entry is filed under, read after the change.
    """
    before = snapshot(row, fields)
    with _unique_or(session, clash):
        _apply(row, values)
    after = snapshot(row, fields)
    if after == before:
        return row
    company_id, site_id = scope(row)
    record_audit(
        session=session,
        actor=actor,
        action=AuditAction.update,
        entity=entity,
        entity_id=row.id,
        company_id=company_id,
        site_id=site_id,
        before=before,
        after=after,
    )
    bump_data_revision(session=session, companies=[company_id])
    return row


# ---- companies -----------------------------------------------------------------------------------------------


def get_company_by_id(company_id: int, *, session: Session) -> Company | None:
    return session.get(Company, company_id)


def lock_company(company: Company, *, session: Session) -> None:
    """Hold the company's row until the transaction ends (Postgres; SQLite has one writer anyway), so two
    conditional writes to it or its sites cannot both pass their If-Match check and then both write. The
    row is read again under the lock, so the check sees what the other writer committed."""
    session.execute(
        select(Company).where(Company.id == company.id).with_for_update().execution_options(populate_existing=True)
    )


def _slug_taken(slug: str, *, session: Session, except_id: int | None = None) -> bool:
    stmt = select(Company.id).where(Company.slug == slug)
    if except_id is not None:
        stmt = stmt.where(Company.id != except_id)
    return session.scalar(stmt) is not None


def create_company(*, session: Session, data: CompanyCreate, actor: Actor) -> Company:
    taken = EntityError("slug", f"The slug {data.slug} is already used by another company.")
    if _slug_taken(data.slug, session=session):
        raise taken
    company = Company(**data.model_dump(include=set(COMPANY_FIELDS)))
    with _unique_or(session, taken):
        session.add(company)
    record_audit(
        session=session,
        actor=actor,
        action=AuditAction.create,
        entity="company",
        entity_id=company.id,
        company_id=company.id,
        after=snapshot(company, COMPANY_FIELDS),
    )
    bump_data_revision(session=session, companies=[company.id])
    return company


def update_company(company: Company, *, session: Session, data: CompanyCreate, actor: Actor) -> Company:
    taken = EntityError("slug", f"The slug {data.slug} is already used by another company.")
    if _slug_taken(data.slug, session=session, except_id=company.id):
        raise taken
    return _audited_update(
        company,
        data.model_dump(include=set(COMPANY_FIELDS)),
        session=session,
        actor=actor,
        entity="company",
        fields=COMPANY_FIELDS,
        clash=taken,
        scope=lambda c: (c.id, None),
    )


# ---- sites ---------------------------------------------------------------------------------------------------


def _site_slug_taken(company_id: int, slug: str, *, session: Session, except_id: int | None = None) -> bool:
    stmt = select(Site.id).where(Site.company_id == company_id, Site.slug == slug)
    if except_id is not None:
        stmt = stmt.where(Site.id != except_id)
    return session.scalar(stmt) is not None


def create_site(company: Company, *, session: Session, data: SiteCreate, actor: Actor) -> Site:
    taken = EntityError("slug", f"{company.name} already has a site with the slug {data.slug}.")
    if _site_slug_taken(company.id, data.slug, session=session):
        raise taken
    site = Site(company_id=company.id, **data.model_dump())
    with _unique_or(session, taken):
        session.add(site)
    follow_capacity(site, None, session=session)
    record_audit(
        session=session,
        actor=actor,
        action=AuditAction.create,
        entity="site",
        entity_id=site.id,
        company_id=company.id,
        site_id=site.id,
        after=snapshot(site, SITE_FIELDS),
    )
    bump_data_revision(session=session, companies=[company.id])
    return site


def update_site(site: Site, *, session: Session, data: SiteCreate, actor: Actor) -> Site:
    taken = EntityError("slug", f"This company already has a site with the slug {data.slug}.")
    if _site_slug_taken(site.company_id, data.slug, session=session, except_id=site.id):
        raise taken
    previous = site.capacity_mw
    saved = _audited_update(
        site,
        data.model_dump(),
        session=session,
        actor=actor,
        entity="site",
        fields=SITE_FIELDS,
        clash=taken,
        scope=lambda s: (s.company_id, s.id),
    )
    follow_capacity(saved, previous, session=session)
    return saved


def count_site_months(site_id: int, *, session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(SiteMonth).where(SiteMonth.site_id == site_id)) or 0)


def delete_site(site: Site, *, session: Session, actor: Actor) -> None:
    """Delete a site that has no monthly figures; one with figures is retired instead, never erased."""
    months = count_site_months(site.id, session=session)
    if months:
        raise EntityError(
            "delete",
            f"This site has {months} month{'s' if months != 1 else ''} of figures: set its status to retired instead.",
        )
    before = snapshot(site, SITE_FIELDS)
    record_audit(
        session=session,
        actor=actor,
        action=AuditAction.delete,
        entity="site",
        entity_id=site.id,
        company_id=site.company_id,
        site_id=site.id,
        before=before,
    )
    session.delete(site)
    session.flush()
    bump_data_revision(session=session, companies=[site.company_id])


# ---- events --------------------------------------------------------------------------------------------------


def _duplicate_event() -> EntityError:
    return EntityError("title", "An event with this title already exists on this date.")


def list_company_events(company_id: int, *, session: Session) -> Sequence[Event]:
    """The company's own events, newest first (the shared ones, such as the halving, are not theirs to edit)."""
    return session.scalars(
        select(Event).where(Event.company_id == company_id).order_by(Event.date.desc(), Event.id.desc())
    ).all()


def get_company_event(company_id: int, event_id: int, *, session: Session) -> Event | None:
    return session.scalar(select(Event).where(Event.id == event_id, Event.company_id == company_id))


def _check_event(company: Company, data: EventCreate, *, session: Session, except_id: int | None = None) -> None:
    if data.site_id is not None:
        site = session.get(Site, data.site_id)
        if site is None or site.company_id != company.id:
            raise EntityError("site_id", "Choose one of this company's sites.")
    stmt = select(Event.id).where(Event.company_id == company.id, Event.date == data.date, Event.title == data.title)
    if except_id is not None:
        stmt = stmt.where(Event.id != except_id)
    if session.scalar(stmt) is not None:
        raise _duplicate_event()


def create_event(company: Company, *, session: Session, data: EventCreate, actor: Actor) -> Event:
    _check_event(company, data, session=session)
    event = Event(company_id=company.id, **data.model_dump())
    with _unique_or(session, _duplicate_event()):
        session.add(event)
    record_audit(
        session=session,
        actor=actor,
        action=AuditAction.create,
        entity="event",
        entity_id=event.id,
        company_id=company.id,
        site_id=event.site_id,
        after=snapshot(event, EVENT_FIELDS),
    )
    bump_data_revision(session=session, companies=[company.id])
    return event


def update_event(event: Event, company: Company, *, session: Session, data: EventCreate, actor: Actor) -> Event:
    _check_event(company, data, session=session, except_id=event.id)
    return _audited_update(
        event,
        data.model_dump(),
        session=session,
        actor=actor,
        entity="event",
        fields=EVENT_FIELDS,
        clash=_duplicate_event(),
        scope=lambda e: (company.id, e.site_id),
    )


def delete_event(event: Event, *, session: Session, actor: Actor) -> None:
    record_audit(
        session=session,
        actor=actor,
        action=AuditAction.delete,
        entity="event",
        entity_id=event.id,
        company_id=event.company_id,
        site_id=event.site_id,
        before=snapshot(event, EVENT_FIELDS),
    )
    session.delete(event)
    session.flush()
    bump_data_revision(session=session, companies=[event.company_id])
