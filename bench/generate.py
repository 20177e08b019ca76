"""Synthetic but plausible data for benchmarks: N companies × M sites × K months, all published.

Deterministic (seeded) so two runs measure the same thing.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from app.models import Company, CompanyMonth, Event, EventKind, NetworkMonth, RecordStatus, Site, SiteMonth
from app.queries import bump_data_revision
from app.reports import add_months


def generate(engine: Engine, *, companies: int, sites: int, months: int, end: dt.date, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    start = add_months(end, -(months - 1))
    periods = [add_months(start, i) for i in range(months)]
    now = dt.datetime.now(dt.UTC)
    counts = {"companies": 0, "sites": 0, "site_months": 0, "company_months": 0}
    with Session(engine) as session, session.begin():
        session.execute(
            insert(NetworkMonth),
            [
                {"period": p, "network_hashrate_avg_ehs": Decimal(300 + 6 * i), "figure_sources": {}}
                for i, p in enumerate(periods)
            ],
        )
        session.add(Event(date=dt.date(2024, 4, 20), title="Halving", kind=EventKind.halving))
        for c in range(companies):
            company = Company(slug=f"miner-{c:03d}", name=f"Miner {c:03d}", ticker=f"M{c:03d}")
            session.add(company)
            session.flush()
            counts["companies"] += 1
            site_ids = []
            for s in range(sites):
                site = Site(company_id=company.id, slug=f"site-{s:02d}", name=f"Site {s:02d}", region="Texas")
                session.add(site)
                session.flush()
                site_ids.append(site.id)
            counts["sites"] += sites
            held = Decimal(1000)
            site_rows = []
            company_rows = []
            for i, period in enumerate(periods):
                total = Decimal(0)
                for site_id in site_ids:
                    hashrate = Decimal(rng.randint(500, 3000) + 20 * i) / 1000
                    btc = (hashrate * Decimal("0.9") * 30).quantize(Decimal("0.00000001"))
                    total += btc
                    site_rows.append(
                        {
                            "site_id": site_id,
                            "period": period,
                            "btc_mined": btc,
                            "hashrate_avg_ehs": hashrate,
                            "hashrate_end_ehs": hashrate * Decimal("1.02"),
                            "hashrate_deployed_ehs": hashrate * Decimal("1.1"),
                            "fleet_efficiency_jth": Decimal(rng.randint(160, 300)) / 10,
                            "miners_deployed": rng.randint(1000, 20000),
                            "status": RecordStatus.published,
                            "figure_sources": {},
                            "source_url": "https://example.com/release",
                            "published_at": now,
                        }
                    )
                sold = (total * Decimal("0.3")).quantize(Decimal("0.01"))
                held = held + total - sold
                company_rows.append(
                    {
                        "company_id": company.id,
                        "period": period,
                        "btc_mined_total": total + Decimal("1.5"),
                        "btc_held_end": held,
                        "btc_sold": sold,
                        "status": RecordStatus.published,
                        "figure_sources": {},
                        "published_at": now,
                    }
                )
            session.execute(insert(SiteMonth), site_rows)
            session.execute(insert(CompanyMonth), company_rows)
            counts["site_months"] += len(site_rows)
            counts["company_months"] += len(company_rows)
        bump_data_revision(session=session)
        assert session.scalar(select(Company.id).limit(1)) is not None
    return counts
