"""Every published value of every stored figure: the table behind per-figure provenance, history and "as of"."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    literal_column,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base, utcnow

# Wide enough for any stored metric: satoshis (8 decimals) and dollars in the billions.
FIGURE_VALUE = Numeric(28, 8)


class FigureRevision(Base):
    """One published value of one figure (company or site × month × metric), with its source and its life.

    The entry with no `superseded_at` is the figure's current provenance; the older ones are its history,
    oldest first by `published_at`. A figure withdrawn or removed has its last entry closed (and, for a removal,
    an entry with no value). `actor_role` is a role (editor, admin, token, cli, system), never who exactly:
    investors see it; the audit table keeps the person.
    """

    __tablename__ = "figure_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    entity_kind: Mapped[str] = mapped_column(String(16))  # company or site
    entity_id: Mapped[int] = mapped_column(Integer)  # the company's id or the site's
    period: Mapped[dt.date] = mapped_column(Date)
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[Decimal | None] = mapped_column(FIGURE_VALUE)
    source_url: Mapped[str | None] = mapped_column(String(2000))
    source_title: Mapped[str | None] = mapped_column(String(300))
    quote: Mapped[str | None] = mapped_column(Text)
    is_estimate: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    published_at: Mapped[dt.datetime]
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_role: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    superseded_at: Mapped[dt.datetime | None]

    __table_args__ = (
        CheckConstraint("entity_kind IN ('company', 'site')", name="entity_kind"),
        CheckConstraint("superseded_at IS NULL OR superseded_at >= published_at", name="superseded_after_published"),
        Index("ix_figure_revision_company_period", "company_id", "period"),
        Index("ix_figure_revision_figure", "entity_kind", "entity_id", "period", "metric"),
    )


# The entries provenance reads besides the corrected figures' (app.store.queries.figure_history): a company's own
# and those with a document title. Nearly every entry is neither (one untitled entry per site figure published),
# so partial indexes on these conditions find the few without reading the rest. The queries use the same
# conditions (on the table or an alias of it), with the literal inline: a planner uses a partial index only where
# it sees that the query implies the index's condition, which a bound parameter hides.
def provenance_kept(figure: Any) -> ColumnElement[bool]:
    return or_(figure.entity_kind == literal_column("'company'"), figure.source_title.is_not(None))


def superseded(figure: Any) -> ColumnElement[bool]:
    return figure.superseded_at.is_not(None)  # type: ignore[no-any-return]


Index(
    "ix_figure_revision_kept",
    FigureRevision.company_id,
    FigureRevision.period,
    postgresql_where=provenance_kept(FigureRevision),
    sqlite_where=provenance_kept(FigureRevision),
)
Index(
    "ix_figure_revision_superseded",
    FigureRevision.company_id,
    FigureRevision.entity_kind,
    FigureRevision.entity_id,
    FigureRevision.period,
    FigureRevision.metric,
    postgresql_where=superseded(FigureRevision),
    sqlite_where=superseded(FigureRevision),
)
