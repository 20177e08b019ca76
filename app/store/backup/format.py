"""What a backup holds and how its values are written, shared by the export and the restore.

Each table is one file `<table>.json`: `{"table": …, "columns": […], "rows": [[…], …]}` with one row per line.
Values are exact and typed the same on SQLite and Postgres: decimals as text (`"100.50000000"`), dates as
`YYYY-MM-DD`, timestamps as ISO-8601 in UTC with the zone (`2025-02-03T14:00:00.123456+00:00`), enums by
value, JSON columns as JSON, NULL as null.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, DateTime, Enum, Float, Numeric, Table

from app.store.models import (
    AuditEntry,
    Company,
    CompanyMonth,
    Event,
    FigureRevision,
    NetworkMonth,
    Site,
    SiteCapacity,
    SiteMonth,
)

FORMAT = "minedash-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"

# Parents before children, so a restore inserts in this order and every foreign key finds its row.
INCLUDED: tuple[Table, ...] = tuple(
    model.__table__  # type: ignore[misc]
    for model in (Company, Site, SiteCapacity, CompanyMonth, SiteMonth, NetworkMonth, Event, AuditEntry, FigureRevision)
)

# Tables never written, and why. tests/test_backup.py checks that every table is either here or in INCLUDED,
# so a new table has to be placed on one side.
NOT_INCLUDED: dict[str, str] = {
    "app_user": "staff accounts: their password hashes are secrets",
    "user_session": "login sessions: live credentials",
    "login_attempt": "login attempts: rate-limit bookkeeping with IP addresses",
    "api_token": "API tokens: their hashes are credentials",
    "page_snapshot": "stored pages: rebuilt from the data",
    "data_revision": "the revision counter: the manifest records it and a restore moves past it",
    "month_stamp": "month stamps: the database's triggers write them again as the restore writes the rows",
}

# Cache bookkeeping, not data: a restore sets it with its own revision bump.
NOT_INCLUDED_COLUMNS: dict[str, frozenset[str]] = {"company": frozenset({"changed_revision"})}


class BackupError(ValueError):
    """A backup cannot be written or restored; the message is one line for the operator."""


def columns(table: Table) -> list[str]:
    skipped = NOT_INCLUDED_COLUMNS.get(table.name, frozenset())
    return [c.name for c in table.columns if c.name not in skipped]


def file_name(table: Table) -> str:
    return f"{table.name}.json"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def encode(value: Any) -> Any:
    """A database value as JSON, exactly."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")  # never exponent notation (Postgres reads 0.00000000 as 0E-8)
    if isinstance(value, dt.datetime):
        # SQLite hands timestamps back without a zone; the app writes them all in UTC.
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict | list):
        return value
    raise BackupError(f"cannot write a value of type {type(value).__name__} to a backup")


def _identity(value: Any) -> Any:
    return value


def decoder(table: Table, name: str) -> Callable[[Any], Any]:
    """The function that turns a value read from the file back into what the column takes."""
    column_type = table.c[name].type
    convert: Callable[[Any], Any] = _identity
    if isinstance(column_type, Enum) and column_type.enum_class is not None:
        convert = column_type.enum_class
    elif isinstance(column_type, Numeric) and not isinstance(column_type, Float):
        convert = _decimal
    elif isinstance(column_type, DateTime):
        convert = _timestamp
    elif isinstance(column_type, Date):
        convert = dt.date.fromisoformat
    return lambda value: None if value is None else convert(value)


def _decimal(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise ValueError(f"a decimal must be written as text, not {value!r}")
    return Decimal(value)


def _timestamp(value: Any) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {value!r} has no time zone")
    return moment
