"""Synthetic but plausible data for benchmarks: N companies × M sites × K months, all published.

Generated inside Postgres with `generate_series` (a few seconds for millions of figures, where row-by-row
inserts from Python take minutes), deterministic so two runs measure the same thing: the "random" parts
come from `hashtext` of the row's coordinates. Postgres only, like the benchmark itself.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, text

from app.domain.reports import add_months

# Each statement sees :companies, :sites, :months, :start (the first month) and :now.
STATEMENTS = (
    """
    INSERT INTO network_month (period, network_hashrate_avg_ehs, btc_price_avg_usd, figure_sources,
                               source_url, is_estimate)
    SELECT CAST(CAST(:start AS date) + make_interval(months => i) AS date), 300 + 6 * i, 20000 + 400 * i, '{}',
           'https://example.com/network', false
    FROM generate_series(0, :months - 1) AS i
    """,
    """
    INSERT INTO company (slug, name, ticker, fiscal_year_end_month)
    SELECT 'miner-' || lpad(c::text, 3, '0'), 'Miner ' || lpad(c::text, 3, '0'), 'M' || lpad(c::text, 3, '0'), 12
    FROM generate_series(0, :companies - 1) AS c
    """,
    """
    INSERT INTO site (company_id, slug, name, region, status)
    SELECT co.id, 'site-' || lpad(s::text, 2, '0'), 'Site ' || lpad(s::text, 2, '0'), 'Texas', 'operating'
    FROM company co CROSS JOIN generate_series(0, :sites - 1) AS s
    """,
    # A halving for everyone and a few events per company, so the event overlay has work to do.
    """
    INSERT INTO event (date, title, kind) VALUES (DATE '2024-04-20', 'Halving', 'halving')
    """,
    """
    INSERT INTO event (date, title, kind, company_id, source_url)
    SELECT CAST(CAST(:start AS date) + make_interval(months => e * GREATEST(:months / 4, 1), days => 14) AS date),
           'Expansion phase ' || e, 'expansion', co.id, 'https://example.com/news'
    FROM company co CROSS JOIN generate_series(0, 2) AS e
    """,
    """
    INSERT INTO site_month (site_id, period, btc_mined, hashrate_avg_ehs, hashrate_end_ehs, hashrate_deployed_ehs,
                            fleet_efficiency_jth, miners_deployed, status, figure_sources, source_url, is_estimate,
                            is_illustrative, version, published_at)
    SELECT site_id, period, round(h * 0.9 * 30, 8), h, round(h * 1.02, 6), round(h * 1.1, 6),
           16 + (abs(hashtext(site_id || '/' || i || '/e')) % 140) / 10.0,
           1000 + abs(hashtext(site_id || '/' || i || '/m')) % 19000,
           'published', '{}', 'https://example.com/release', false, false, 1, CAST(:now AS timestamptz)
    FROM (
        SELECT s.id AS site_id, i, CAST(CAST(:start AS date) + make_interval(months => i) AS date) AS period,
               round((500 + abs(hashtext(s.id || '/' || i)) % 2500 + 20 * i) / 1000.0, 6) AS h
        FROM site s CROSS JOIN generate_series(0, :months - 1) AS i
    ) AS g
    -- In the order monthly releases arrive: month by month, each company's sites together.
    ORDER BY period, site_id
    """,
    # Company rows: the published total (a little above the site sum, as real releases are), sales, and
    # holdings carried forward month by month. One month in twelve has per-figure provenance for its sale.
    """
    INSERT INTO company_month (company_id, period, btc_mined_total, btc_held_end, btc_sold, status,
                               figure_sources, source_url, is_estimate, version, published_at)
    SELECT company_id, period, total + 1.5,
           1000 + sum(total - sold) OVER (PARTITION BY company_id ORDER BY period), sold,
           'published',
           CASE WHEN extract(month FROM period) = 6
                THEN CAST('{"btc_sold": {"source_url": "https://example.com/10-q", "is_estimate": true}}' AS json)
                ELSE CAST('{}' AS json) END,
           'https://example.com/release', false, 1, CAST(:now AS timestamptz)
    FROM (
        SELECT s.company_id, sm.period, sum(sm.btc_mined) AS total, round(sum(sm.btc_mined) * 0.3, 2) AS sold
        FROM site_month sm JOIN site s ON s.id = sm.site_id
        GROUP BY s.company_id, sm.period
    ) AS t
    ORDER BY period, company_id
    """,
    # The published history: one entry per figure published, as the app records it (app.store.queries
    # .figure_history.record_published), so the series loads read what a real database makes them read.
    """
    INSERT INTO figure_revision (company_id, entity_kind, entity_id, period, metric, value, source_url,
                                 is_estimate, published_at, recorded_at, actor_role)
    SELECT s.company_id, 'site', sm.site_id, sm.period, f.metric, f.value, sm.source_url, false,
           sm.published_at, sm.published_at, 'system'
    FROM site_month sm JOIN site s ON s.id = sm.site_id
    CROSS JOIN LATERAL (VALUES ('btc_mined', sm.btc_mined), ('hashrate_avg_ehs', sm.hashrate_avg_ehs),
                               ('hashrate_end_ehs', sm.hashrate_end_ehs),
                               ('hashrate_deployed_ehs', sm.hashrate_deployed_ehs),
                               ('fleet_efficiency_jth', sm.fleet_efficiency_jth),
                               ('miners_deployed', CAST(sm.miners_deployed AS numeric))) AS f(metric, value)
    WHERE f.value IS NOT NULL
    ORDER BY sm.period, sm.site_id
    """,
    """
    INSERT INTO figure_revision (company_id, entity_kind, entity_id, period, metric, value, source_url,
                                 is_estimate, published_at, recorded_at, actor_role)
    SELECT cm.company_id, 'company', cm.company_id, cm.period, f.metric, f.value, cm.source_url, false,
           cm.published_at, cm.published_at, 'system'
    FROM company_month cm
    CROSS JOIN LATERAL (VALUES ('btc_mined_total', cm.btc_mined_total), ('btc_held_end', cm.btc_held_end),
                               ('btc_sold', cm.btc_sold)) AS f(metric, value)
    WHERE f.value IS NOT NULL
    ORDER BY cm.period, cm.company_id
    """,
    "UPDATE data_revision SET revision = revision + 1, changed_at = CAST(:now AS timestamptz) WHERE id = 1",
    """
    INSERT INTO data_revision (id, revision, changed_at)
    SELECT 1, 1, CAST(:now AS timestamptz) WHERE NOT EXISTS (SELECT 1 FROM data_revision)
    """,
)


def generate(engine: Engine, *, companies: int, sites: int, months: int, end: dt.date) -> dict[str, int]:
    """Fill an empty, migrated database; returns the row counts."""
    params = {
        "companies": companies,
        "sites": sites,
        "months": months,
        "start": add_months(end, -(months - 1)),
        "now": dt.datetime.now(dt.UTC),
    }
    with engine.begin() as conn:
        for statement in STATEMENTS:
            conn.execute(text(statement), params)
        counts = {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("company", "site", "site_month", "company_month", "event", "figure_revision")
        }
    # Fresh bulk-loaded tables have no statistics yet, and the planner then picks poor plans; a production
    # database has them through autovacuum. VACUUM too: otherwise autovacuum does it in the middle of the
    # measurements (240,000 new rows), and the first reads of each page set hint bits, i.e. write.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return counts
