"""What a site page shows of the site's life: when it operates and its capacity over time (a step line)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from app.domain.charts.site_capacity import capacity_chart, last_operating_month
from app.domain.site_life import life_text
from app.store.models import Site
from app.store.queries.site_life import list_site_capacity
from app.web.page_helpers import chart_context


def site_life_context(site: Site, *, session: Session) -> dict[str, Any]:
    entries = [(c.effective_on, c.capacity_mw, c.source_url) for c in list_site_capacity(site.id, session=session)]
    last = last_operating_month(site.retired_on, dt.datetime.now(dt.UTC).date())
    return {
        "life": life_text(site.energized_on, site.retired_on),
        "capacity_chart": chart_context(capacity_chart(entries, last)),
    }
