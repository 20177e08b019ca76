"""The migrations build the schema the models describe, on SQLite and on Postgres, both ways."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, UniqueConstraint, inspect

from app.store import migrate
from app.store.models import Base


def _diff(engine: Engine) -> list:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": migrate.include_object_on(conn.dialect.name)}
        )
        return compare_metadata(ctx, Base.metadata)


def test_upgrade_downgrade_upgrade(engine: Engine) -> None:
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine, "head")
    assert {"company", "site", "site_month", "company_month", "network_month", "event"} <= set(
        inspect(engine).get_table_names()
    )
    with engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()


def test_models_and_migrations_agree(engine: Engine) -> None:
    assert _diff(engine) == []


def test_included_columns_agree(engine: Engine) -> None:
    """Alembic's comparison does not look at an index's INCLUDE columns (postgresql_include): those of the models'
    indexes and unique constraints are the ones in the database."""
    if engine.dialect.name != "postgresql":
        pytest.skip("INCLUDE is Postgres's")
    inspector = inspect(engine)
    model: dict[str, list[str]] = {}
    found: dict[str, list[str]] = {}
    for table in Base.metadata.sorted_tables:
        reflected = {
            i["name"]: i["dialect_options"].get("postgresql_include") for i in inspector.get_indexes(table.name)
        }
        for item in [*table.indexes, *(c for c in table.constraints if isinstance(c, UniqueConstraint))]:
            if item.name in reflected:
                model[item.name] = list(item.dialect_kwargs.get("postgresql_include") or [])
                found[item.name] = list(reflected[item.name] or [])
    assert model == found
    assert model["uq_site_month_site_id_period"]  # an index with INCLUDE columns was among those compared


def test_every_revision_steps_down_and_up(engine: Engine) -> None:
    """Each migration's downgrade undoes its upgrade (walking one step at a time)."""
    from alembic.script import ScriptDirectory

    revisions = list(ScriptDirectory.from_config(migrate.alembic_config()).walk_revisions())
    for _ in revisions:
        migrate.downgrade(engine, "-1")
    migrate.upgrade(engine, "head")
    assert _diff(engine) == []


def test_figure_history_migration_carries_each_months_source_to_its_figures(engine: Engine) -> None:
    """0007 gives every published figure one history entry with its month's source (or its own), its
    publication time and the month's reason; drafts get none."""
    from sqlalchemy import text

    migrate.downgrade(engine, "0005")
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO company (id, slug, name) VALUES (901, 'carried', 'Carried')"))
            conn.execute(text("INSERT INTO site (id, company_id, slug, name) VALUES (902, 901, 'north', 'North')"))
            conn.execute(
                text(
                    "INSERT INTO company_month (company_id, period, btc_mined_total, btc_held_end, source_url,"
                    " is_estimate, figure_sources, status, published_at, revision_reason, updated_by)"
                    " VALUES (901, :period, 650, 10000, 'https://ir.example.com/jan', :estimate, :own, 'published',"
                    " :published, 'Restated In The 10-Q', 'token:erp')"
                ),
                {
                    "period": dt.date(2025, 1, 1),
                    "estimate": False,
                    "own": '{"btc_held_end": {"source_url": "https://sec.example.gov/10q", "quote": "10,000 BTC"}}',
                    # As the app writes a UTC moment (SQLite keeps no zone; the Postgres session is in UTC).
                    "published": dt.datetime(2025, 2, 3, 13, 0),
                },
            )
            conn.execute(
                text(
                    "INSERT INTO site_month (site_id, period, btc_mined, source_url, figure_sources, status)"
                    " VALUES (902, :period, 40, 'https://ir.example.com/draft', '{}', 'draft')"
                ),
                {"period": dt.date(2025, 1, 1)},
            )
        migrate.upgrade(engine, "head")
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT entity_kind, metric, value, source_url, quote, actor_role, reason, published_at,"
                    " superseded_at FROM figure_revision WHERE company_id = 901 ORDER BY metric"
                )
            ).all()
        assert [(r.entity_kind, r.metric, Decimal(r.value)) for r in rows] == [
            ("company", "btc_held_end", Decimal("10000")),
            ("company", "btc_mined_total", Decimal("650")),
        ]
        held, mined = rows
        assert (mined.source_url, mined.quote) == ("https://ir.example.com/jan", None)  # the month's source
        assert (held.source_url, held.quote) == ("https://sec.example.gov/10q", "10,000 BTC")  # its own
        assert {r.actor_role for r in rows} == {"token"} and {r.reason for r in rows} == {"Restated In The 10-Q"}
        # The month's publication time, not the migration's (SQLite answers a raw SELECT with text).
        assert str(mined.published_at)[:19] == str(held.published_at)[:19] == "2025-02-03 13:00:00"
        assert all(r.superseded_at is None for r in rows)
    finally:
        # Leave the database as the other tests expect it: migrated and empty.
        migrate.downgrade(engine, "base")
        migrate.upgrade(engine, "head")


def test_stored_pages_keep_their_plain_body_only_without_brotli(engine: Engine) -> None:
    """0013 drops the plain body where a brotli form is stored; a row must have one of the two; stepping back
    deletes the rows it emptied (stored pages are built again on demand)."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    migrate.downgrade(engine, "0012")
    try:
        insert = text(
            "INSERT INTO page_snapshot (key, revision, media_type, body, body_br)"
            " VALUES (:key, 1, 'text/html', :b, :br)"
        )
        with engine.begin() as conn:
            conn.execute(insert, {"key": "big", "b": b"plain" * 100, "br": b"compressed"})
            conn.execute(insert, {"key": "small", "b": b"tiny", "br": None})
        migrate.upgrade(engine, "head")
        read = text("SELECT key, body, body_br FROM page_snapshot ORDER BY key")
        with engine.connect() as conn:
            assert [tuple(r) for r in conn.execute(read)] == [("big", None, b"compressed"), ("small", b"tiny", None)]
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert, {"key": "empty", "b": None, "br": None})
        migrate.downgrade(engine, "0012")
        with engine.connect() as conn:
            assert [tuple(r) for r in conn.execute(read)] == [("small", b"tiny", None)]
    finally:
        migrate.upgrade(engine, "head")
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM page_snapshot"))
