"""A company's sites with each one's first and last reported month, in one statement.

What `list_sites` and `reported_spans` give, for the series loads that need both (the monthly API, the market
pages): the spans are correlated subqueries, each answered from the (site_id, period) index for one site, so the
statement reads two index entries per site whatever the company's months (a join and GROUP BY over the sites'
months would let the planner read every one of them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.store.models import RecordStatus, Site, SiteMonth


def sites_with_spans(
    company_id: int, *, session: Session, published_only: bool = True
) -> tuple[Sequence[Site], dict[int, tuple[dt.date, dt.date]]]:
    """The company's sites by name, and each reported site's (first, last) month (published only, unless
    `published_only=False`), as list_sites and reported_spans give them."""
    months = select(SiteMonth.period).where(SiteMonth.site_id == Site.id)
    if published_only:
        months = months.where(SiteMonth.status == RecordStatus.published)
    first = months.with_only_columns(func.min(SiteMonth.period)).scalar_subquery()
    last = months.with_only_columns(func.max(SiteMonth.period)).scalar_subquery()
    rows = session.execute(select(Site, first, last).where(Site.company_id == company_id).order_by(Site.name)).all()
    spans = {site.id: (start, end) for site, start, end in rows if start is not None}
    return [site for site, _, _ in rows], spans
