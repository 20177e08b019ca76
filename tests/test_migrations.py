"""The migrations build the schema the models describe, on SQLite and on Postgres, both ways."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from app.store import migrate
from app.store.models import Base


def _diff(engine: Engine) -> list:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
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


def test_every_revision_steps_down_and_up(engine: Engine) -> None:
    """Each migration's downgrade undoes its upgrade (walking one step at a time)."""
    from alembic.script import ScriptDirectory

    revisions = list(ScriptDirectory.from_config(migrate.alembic_config()).walk_revisions())
    for _ in revisions:
        migrate.downgrade(engine, "-1")
    migrate.upgrade(engine, "head")
    assert _diff(engine) == []
