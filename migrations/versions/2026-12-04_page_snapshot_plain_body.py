"""page_snapshot: the plain body kept only for a page too small to compress

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 21:30:00

Every publish stores the company's overview: its brotli form (about 40 KB for a ten-year overview) and, until now,
its plain body beside it (about 400 KB), which only a client that takes neither brotli nor gzip reads. Writing the
plain body was most of the write (5.1 against 1.9 ms for the store, and ten times the WAL), and the first reader
after a publish waits for it. A reader without brotli now gets the body decompressed from the brotli form by the
worker, once per revision. A page under the compression threshold keeps its plain body only: the check says one
of the two is there.

Downgrade: a row without its plain body is deleted (a stored page is a cache, built again on demand).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK = "ck_page_snapshot_body_or_brotli"


def upgrade() -> None:
    # Batch mode: SQLite rebuilds the table; Postgres alters it in place (the columns' storage set by 0012 stays).
    with op.batch_alter_table("page_snapshot") as batch:
        batch.alter_column("body", existing_type=sa.LargeBinary(), nullable=True)
        batch.create_check_constraint(op.f(CHECK), "body IS NOT NULL OR body_br IS NOT NULL")
    op.execute("UPDATE page_snapshot SET body = NULL WHERE body_br IS NOT NULL")


def downgrade() -> None:
    op.execute("DELETE FROM page_snapshot WHERE body IS NULL")
    with op.batch_alter_table("page_snapshot") as batch:
        batch.drop_constraint(op.f(CHECK), type_="check")
        batch.alter_column("body", existing_type=sa.LargeBinary(), nullable=False)
