"""Month stamps: a number per (company, month) that moves whenever anything a month's view is built from moves.

The database keeps them, by triggers on every table a month's view reads (migration 0011): a row of `site_month`,
`company_month` or `figure_revision` written, changed or deleted gives its company's month a new stamp, a row of
`network_month` the month's network stamp (company 0), and a site deleted or moved to another company gives every
month of its former company a new one. No writer has to remember it, whether it goes through the app, a script or
a SQL console. A stamp never comes back: Postgres draws it from a sequence, which a rollback does not rewind, and
SQLite from `random()`, 64 bits.

Under the period STRUCTURE, a company's stamp moves whenever one of its sites or events is written, changed or
deleted, and the network's for an event of every company (migration 0014): app.store.queries.structure keeps a
company's sites and events by those two.

What reads them: app.store.queries.month_stamps, whose keys the series loads (app.store.queries) keep finished
month views by (app.domain.month_memo), reading only the rows of the months whose stamps moved. A month with no
stamp yet (nothing written to it since the migration) is keyed by None until its first write.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, Integer
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base

# The company id under which the network's months are stamped: no company has it.
NETWORK = 0
# The period under which a company's sites and events are stamped (migration 0014), the network's for the events
# of every company: no month has it.
STRUCTURE = dt.date(1, 1, 1)


class MonthStamp(Base):
    """The current stamp of one company's month (or the network's, company `NETWORK`). Written by triggers only."""

    __tablename__ = "month_stamp"

    # No foreign key: the network's months have no company, and a stamp must outlive a deleted company's rows.
    company_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    period: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    stamp: Mapped[int] = mapped_column(BigInteger)
