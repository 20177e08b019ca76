"""The declarative base with stable constraint names, column types shared by every table, and the timestamps."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    DateTime,
    Enum,
    Index,
    MetaData,
    Numeric,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Exact decimals: BTC to the satoshi, hashrate to the TH/s, money to the cent.
BTC = Numeric(18, 8)


EHS = Numeric(14, 6)


USD = Numeric(18, 2)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: DateTime(timezone=True)}  # noqa: RUF012 (read by SQLAlchemy)


# Index.info key naming the one database an index is built on (only_on).
ONLY_ON = "minedash.only_on"


def only_on(dialect: str, index: Index) -> Index:
    """An index built on one database only: `create_all` skips it elsewhere (ddl_if), and so does the comparison of
    the models with the migrations (app.store.migrate.include_object_on), which does not read ddl_if."""
    index.info[ONLY_ON] = dialect
    return index.ddl_if(dialect=dialect)


def enum_column(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as VARCHAR + CHECK rather than a Postgres ENUM type: adding a value later is then
    # an ordinary migration on both databases.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda e: [m.value for m in e],
    )


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow, server_default=func.now())
