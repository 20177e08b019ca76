"""Alembic environment: runs against the app's own engine settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from app.settings import get_settings
from app.store.db import make_engine
from app.store.migrate import include_object_on
from app.store.models import Base

target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=False,
        # Indexes the models build on one database only are not expected on the other.
        include_object=include_object_on(connection.dialect.name),
    )


def run_migrations_online() -> None:
    # A connection handed in by the caller (tests, `minedash migrate`) wins over the settings.
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(get_settings().database_url)
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=get_settings().database_url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
