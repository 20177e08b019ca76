"""page_snapshot: its bodies stored as they come, without Postgres's own compression

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 13:10:00

A stored page is written after every publish, and the first reader after it waits for the write. Postgres compressed
the plain body (about 500 KB for a ten-year overview) with pglz on every write: about 10 of the 12 ms the write
took. The compressed forms (brotli, gzip) gain nothing from it either. Stored as they come ("external"), the write
takes 2 to 5 ms; the plain body takes 500 KB on disk instead of about 110 KB, for a few pages per company. SQLite
has no such setting: nothing to do there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("body", "body_br", "body_gzip")


def _storage(kind: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    settings = ", ".join(f"ALTER COLUMN {column} SET STORAGE {kind}" for column in COLUMNS)
    op.execute(f"ALTER TABLE page_snapshot {settings}")


def upgrade() -> None:
    _storage("EXTERNAL")


def downgrade() -> None:
    _storage("EXTENDED")
