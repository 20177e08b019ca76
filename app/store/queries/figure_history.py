"""Writing and reading the published history of each figure (table `figure_revision`).

Every write path (staff form, CSV import, API, publish) ends in `app.store.queries.months` or
`month_release`, which call `record_published` after a published row changed and `withdraw_figures` when
published rows are withdrawn or deleted. `record_published` compares each figure's value and source with the
figure's open entry and writes a new entry only where they differ, so it is safe to call again (the demo
loader and the migration use the same rule to give existing months their first entry).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from functools import cache, partial
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, and_, bindparam, not_, select, union_all, update
from sqlalchemy.orm import Session, aliased

from app.domain.figure_history import HistoryEntry
from app.domain.metrics import COMPANY_METRICS, COMPANY_OPERATING_METRICS, SITE_METRICS
from app.store.models import CompanyMonth, FigureRevision, RecordStatus, Site, SiteMonth, utcnow
from app.store.models.history import provenance_kept, superseded

COMPANY_FIGURES: tuple[str, ...] = (*COMPANY_METRICS, *COMPANY_OPERATING_METRICS)
SITE_FIGURES: tuple[str, ...] = SITE_METRICS

MonthRow = SiteMonth | CompanyMonth
# value, source_url, source_title, quote, is_estimate: what makes a new published value of a figure
State = tuple[Decimal | None, str | None, str | None, str | None, bool]


def entity_of(row: MonthRow) -> tuple[str, int]:
    return ("site", row.site_id) if isinstance(row, SiteMonth) else ("company", row.company_id)


def figures_of(row: MonthRow) -> tuple[str, ...]:
    return SITE_FIGURES if isinstance(row, SiteMonth) else COMPANY_FIGURES


def figure_state(row: Any, metric: str) -> State:
    """A figure's value and provenance: its own entry in `figure_sources`, else the row's (as the series read it)."""
    value = getattr(row, metric)
    entry: dict[str, Any] = (row.figure_sources or {}).get(metric) or {}
    if entry:
        return (
            None if value is None else Decimal(value),
            entry.get("source_url") or None,
            entry.get("title") or None,
            entry.get("quote") or None,
            bool(entry.get("is_estimate", row.is_estimate)),
        )
    return (None if value is None else Decimal(value), row.source_url, None, None, bool(row.is_estimate))


def utc(value: dt.datetime) -> dt.datetime:
    """A stored timestamp in UTC (SQLite hands them back without a zone; the app writes them all in UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _entry_state(entry: FigureRevision) -> State:
    return (entry.value, entry.source_url, entry.source_title, entry.quote, bool(entry.is_estimate))


def _same(a: State, b: State) -> bool:
    # Decimals compare by value (1.5 == 1.50000000), whatever scale the columns keep.
    return a == b


def _company_ids(rows: Sequence[MonthRow], session: Session) -> dict[int, int]:
    """id(row) -> the company it belongs to (one query for the site rows)."""
    site_ids = {r.site_id for r in rows if isinstance(r, SiteMonth)}
    owners = (
        {i: c for i, c in session.execute(select(Site.id, Site.company_id).where(Site.id.in_(site_ids)))}
        if site_ids
        else {}
    )
    return {id(r): owners[r.site_id] if isinstance(r, SiteMonth) else r.company_id for r in rows}


def _entries_of(
    session: Session, rows: Sequence[MonthRow], company_ids: set[int]
) -> dict[tuple[str, int, dt.date, str], list[FigureRevision]]:
    """Every stored entry of the rows' figures, oldest first, in one query (by company and month)."""
    keys = {(*entity_of(r), r.period) for r in rows}
    if not keys:
        return {}
    stmt = (
        select(FigureRevision)
        .where(
            FigureRevision.company_id.in_(sorted(company_ids)),
            FigureRevision.period.in_(sorted({period for _, _, period in keys})),
        )
        .order_by(FigureRevision.published_at, FigureRevision.id)
    )
    out: dict[tuple[str, int, dt.date, str], list[FigureRevision]] = {}
    for entry in session.scalars(stmt):
        if (entry.entity_kind, entry.entity_id, entry.period) in keys:
            out.setdefault((entry.entity_kind, entry.entity_id, entry.period, entry.metric), []).append(entry)
    return out


def record_published(
    *,
    session: Session,
    rows: Iterable[MonthRow],
    role: str,
    reason: str | None,
    now: dt.datetime | None = None,
) -> int:
    """Record each published figure of `rows` whose value or source differs from its open entry; returns how many.

    A figure's first entry is dated when its row was published; later ones (corrections, a publish again after
    a withdrawal) are dated `now`. A published figure removed by a correction gets an entry without a value.
    """
    now = now or utcnow()
    published = [r for r in rows if r.status == RecordStatus.published]
    if not published:
        return 0
    session.flush()
    company_of = _company_ids(published, session)
    stored = _entries_of(session, published, set(company_of.values()))
    written = 0
    for row in published:
        kind, entity_id = entity_of(row)
        company_id = company_of[id(row)]
        for metric in figures_of(row):
            state = figure_state(row, metric)
            history = stored.get((kind, entity_id, row.period, metric), [])
            current = history[-1] if history and history[-1].superseded_at is None else None
            if current is not None and _same(state, _entry_state(current)):
                continue
            if current is None and state[0] is None:
                continue  # never published, or already removed: nothing to say
            published_at = now if history else (row.published_at or now)
            if current is not None:
                published_at = max(now, utc(current.published_at))
                current.superseded_at = published_at
            value, source_url, title, quote, estimate = state
            session.add(
                FigureRevision(
                    company_id=company_id,
                    entity_kind=kind,
                    entity_id=entity_id,
                    period=row.period,
                    metric=metric,
                    value=value,
                    source_url=source_url,
                    source_title=title,
                    quote=quote,
                    is_estimate=estimate,
                    published_at=published_at,
                    recorded_at=now,
                    actor_role=role,
                    reason=reason,
                )
            )
            written += 1
    session.flush()
    return written


def withdraw_figures(*, session: Session, rows: Iterable[MonthRow], now: dt.datetime | None = None) -> None:
    """Close the open entries of the rows' figures: from `now` on, investors no longer see them."""
    now = now or utcnow()
    for row in rows:
        kind, entity_id = entity_of(row)
        session.execute(
            update(FigureRevision)
            .where(
                FigureRevision.entity_kind == kind,
                FigureRevision.entity_id == entity_id,
                FigureRevision.period == row.period,
                FigureRevision.superseded_at.is_(None),
            )
            .values(superseded_at=now)
            .execution_options(synchronize_session=False)
        )


def list_history(
    company_id: int,
    *,
    session: Session,
    start: dt.date | None = None,
    end: dt.date | None = None,
    site_id: int | None = None,
    company_level: bool | None = None,
    as_of: dt.datetime | None = None,
    sites: Sequence[Site] | None = None,
    for_provenance: bool = False,
) -> list[HistoryEntry]:
    """Published values of a company's figures (its own and its sites'), oldest first.

    `site_id` keeps one site's; `company_level=True` only the company's own; `as_of` only what had been
    published by then (an entry superseded later is still listed: it was the value at the time). `sites`, when the
    caller has them, saves reading the company's sites again. `for_provenance=True` lists only the entries
    app.domain.provenance.apply_history can use (see `_for_provenance`).
    """
    found = list_histories(
        [company_id],
        session=session,
        start=start,
        end=end,
        site_id=site_id,
        company_level=company_level,
        as_of=as_of,
        sites=sites,
        for_provenance=for_provenance,
    )
    return found.get(company_id, [])


def list_histories(
    company_ids: Sequence[int],
    *,
    session: Session,
    start: dt.date | None = None,
    end: dt.date | None = None,
    site_id: int | None = None,
    company_level: bool | None = None,
    as_of: dt.datetime | None = None,
    sites: Sequence[Site] | None = None,
    for_provenance: bool = False,
) -> dict[int, list[HistoryEntry]]:
    """`list_history` of several companies in two statements (one when `sites` are given), by company id."""
    if not company_ids:
        return {}
    if sites is not None:
        slugs = {s.id: s.slug for s in sites}
    else:
        found = session.execute(select(Site.id, Site.slug).where(Site.company_id.in_(company_ids)))
        slugs = {i: s for i, s in found}
    # Plain rows, not ORM instances: a company's history holds an entry for every figure it published (ten years of
    # ten sites is 7,560 of them), and building and tracking an instance each took 20 times the rest of the build.
    entities = partial(_which_entities, company_ids=company_ids, site_id=site_id, company_level=company_level)
    months = partial(_which_months, start=start, end=end)
    published = [FigureRevision.published_at <= as_of] if as_of is not None else []
    out: dict[int, list[HistoryEntry]] = {}
    if for_provenance:
        # Every series load runs this statement: built once per shape and given its values, since building it and
        # its cache key again took about as long as running it (app.store.queries.load_company_series).
        statement = _provenance_statement(
            site_id is not None, bool(company_level), start is not None, end is not None, as_of is not None
        )
        values = {"company_ids": list(company_ids), "site_id": site_id, "start": start, "end": end, "as_of": as_of}
        rows: list[Any] = list(session.execute(statement, {k: v for k, v in values.items() if v is not None}).all())
    else:
        ordered = (
            select(*_ENTRY_COLUMNS)
            .where(*entities(FigureRevision), *months(FigureRevision), *published)
            .order_by(FigureRevision.published_at, FigureRevision.id)
        )
        rows = list(session.execute(ordered).all())
    for (company_id, kind, entity_id, period, metric, value, url, title, quote, estimate, published_at, role, reason,
         superseded_at) in rows:  # fmt: skip
        site = None
        if kind == "site":
            if entity_id not in slugs:
                continue  # a site deleted since: its figures left with it
            site = slugs[entity_id]
        superseded = None if superseded_at is None else utc(superseded_at)
        if as_of is not None and superseded is not None and superseded > as_of:
            superseded = None  # still the published value at `as_of`
        # Positional, in HistoryEntry's order: a series load makes thousands (every company figure's entry), and
        # keywords cost twice as much.
        entry = HistoryEntry(
            site, period, metric, value, url, title, quote, bool(estimate), utc(published_at), role, reason, superseded
        )
        out.setdefault(company_id, []).append(entry)
    return out


# What a HistoryEntry is made of, in the order list_histories unpacks them.
_ENTRY_COLUMNS = (
    FigureRevision.company_id,
    FigureRevision.entity_kind,
    FigureRevision.entity_id,
    FigureRevision.period,
    FigureRevision.metric,
    FigureRevision.value,
    FigureRevision.source_url,
    FigureRevision.source_title,
    FigureRevision.quote,
    FigureRevision.is_estimate,
    FigureRevision.published_at,
    FigureRevision.actor_role,
    FigureRevision.reason,
    FigureRevision.superseded_at,
)


# Which companies' or sites' figures, and which months of them, a history read is about: on the table or on an
# alias of it (see _for_provenance).
FigureFilter = Callable[[Any], list[ColumnElement[bool]]]


def _which_entities(
    table: Any,
    *,
    company_ids: Sequence[int] | BindParameter[Any],
    site_id: int | BindParameter[Any] | None,
    company_level: bool | None,
) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [table.company_id.in_(company_ids)]
    if site_id is not None:
        found += [table.entity_kind == "site", table.entity_id == site_id]
    elif company_level:
        found.append(table.entity_kind == "company")
    return found


def _which_months(
    table: Any, *, start: dt.date | BindParameter[Any] | None, end: dt.date | BindParameter[Any] | None
) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if start is not None:
        found.append(table.period >= start)
    if end is not None:
        found.append(table.period <= end)
    return found


@cache
def _provenance_statement(by_site: bool, company_level: bool, start: bool, end: bool, as_of: bool) -> Select[Any]:
    """`_for_provenance` with its values as parameters (company_ids, and site_id, start, end, as_of where used)."""
    entities = partial(
        _which_entities,
        company_ids=bindparam("company_ids", expanding=True),
        site_id=bindparam("site_id") if by_site else None,
        company_level=company_level,
    )
    months = partial(_which_months, start=bindparam("start") if start else None, end=bindparam("end") if end else None)
    published = [FigureRevision.published_at <= bindparam("as_of")] if as_of else []
    return _for_provenance(entities, months, published)


def _for_provenance(
    entities: FigureFilter, months: FigureFilter, published: Sequence[ColumnElement[bool]]
) -> Select[Any]:
    """Of the entries of these figures published as `published` says, those apply_history can use, oldest first.

    apply_history gives a figure its document title and its corrections. A site figure published once and without
    a title has neither, and nearly every figure is one (one entry per figure published): it is left out, in the
    database. A company's own entries all stay, a company figure's entry decides whether its sites' corrections
    count (see apply_history).

    "Published more than once" is read as "has a superseded entry": record_published closes a figure's open entry
    whenever it adds another, so every figure with two entries has one, and one that was only withdrawn (one entry,
    closed) adds an untitled single entry, which apply_history leaves as it found it.

    Two statements in one, each found through a partial index (app.store.models.history): the kept entries (the
    company's own, the titled ones), and the other entries of the figures that have a superseded one. As a single
    filter with OR, the database read every entry of the range to keep a few hundred (12 of the 15 ms a series
    load spent in SQL on Postgres, for ten years of ten sites).
    """
    # The partial indexes' own conditions (app.store.models.history), so that the planners can use them.
    kept = provenance_kept(FigureRevision)
    # The corrected figures first, then their entries through the figure index. The months are asked of the
    # corrected figures: asked of the entries as well, SQLite without statistics (nothing here runs ANALYZE)
    # reads each corrected figure's whole site range instead of its one entry.
    closed = aliased(FigureRevision)
    corrected = (
        select(closed.entity_kind, closed.entity_id, closed.period, closed.metric)
        .where(*entities(closed), superseded(closed))
        .distinct()
        .subquery()
    )
    same_figure = and_(
        FigureRevision.entity_kind == corrected.c.entity_kind,
        FigureRevision.entity_id == corrected.c.entity_id,
        FigureRevision.period == corrected.c.period,
        FigureRevision.metric == corrected.c.metric,
    )
    both = union_all(
        select(*_ENTRY_COLUMNS, FigureRevision.id).where(
            *entities(FigureRevision), *months(FigureRevision), *published, kept
        ),
        select(*_ENTRY_COLUMNS, FigureRevision.id)
        .select_from(corrected)
        .join(FigureRevision, same_figure)
        .where(*months(corrected.c), *published, not_(kept)),
    ).subquery()
    return select(*(both.c[column.key] for column in _ENTRY_COLUMNS)).order_by(both.c.published_at, both.c.id)
