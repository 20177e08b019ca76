"""The company list on the home page: each company's latest release, its BTC mined and hashrate, and a
sparkline of BTC mined over the two years up to that release."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from app.domain.charts import sparkline
from app.domain.month_views import sources_of
from app.domain.reports import add_months
from app.store.models import Company
from app.store.queries.dashboard import company_data_summaries, load_companies_series

SPARK_MONTHS = 24


def company_rows(companies: Sequence[Company], *, session: Session) -> list[dict[str, Any]]:
    """One row per company, those with the most recent release first (a fixed number of queries)."""
    summaries = company_data_summaries([c.id for c in companies], session=session)
    lasts = [s.last for s in summaries.values() if s.last is not None]
    series = {}
    if lasts:
        start, end = add_months(min(lasts), -(SPARK_MONTHS - 1)), max(lasts)
        with_data = [c for c in companies if c.id in summaries and summaries[c.id].last is not None]
        series = load_companies_series(with_data, session=session, start=start, end=end)
    rows: list[dict[str, Any]] = []
    for company in companies:
        summary = summaries.get(company.id)
        last = summary.last if summary else None
        row: dict[str, Any] = {"company": company, "last": last, "first": summary.first if summary else None}
        views = [v for v in series.get(company.id, []) if last is not None and v.period <= last]
        views = views[-SPARK_MONTHS:]
        latest = views[-1] if views and views[-1].period == last else None
        hashrate_metric = "hashrate_avg_ehs"
        if latest is not None and latest.values.get("hashrate_avg_ehs") is None:
            hashrate_metric = "hashrate_end_ehs"
        row.update(
            {
                "btc_mined": latest.values.get("btc_mined") if latest else None,
                "hashrate": latest.values.get(hashrate_metric) if latest else None,
                "hashrate_metric": hashrate_metric,
                "estimate": bool(latest and any(s.is_estimate for s in sources_of(latest, "btc_mined"))),
                "spark": sparkline([v.values.get("btc_mined") for v in views]),
                "spark_from": views[0].period if views else None,
            }
        )
        rows.append(row)
    rows.sort(key=lambda r: (r["last"] is None, -(r["last"].toordinal() if r["last"] else 0), r["company"].name))
    return rows
