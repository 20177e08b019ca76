"""A site's capacity over time: each entry is the capacity (MW) from its month on, until the next entry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base, TimestampMixin


class SiteCapacity(TimestampMixin, Base):
    """The site's energized or contracted capacity from one month on (a step, not a monthly figure)."""

    __tablename__ = "site_capacity"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    effective_on: Mapped[dt.date] = mapped_column(Date)  # the first day of the month it takes effect
    capacity_mw: Mapped[Decimal] = mapped_column(Numeric(10, 3))
    source_url: Mapped[str | None] = mapped_column(String(2000))

    __table_args__ = (
        UniqueConstraint("site_id", "effective_on"),
        CheckConstraint("capacity_mw >= 0", name="capacity_non_negative"),
    )
