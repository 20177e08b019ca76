"""page snapshots: public pages rendered when their data is published, shared by every worker; and the
revision of each company's last change, which says whether its stored pages are current

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 05:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "page_snapshot",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("body_br", sa.LargeBinary(), nullable=True),
        sa.Column("body_gzip", sa.LargeBinary(), nullable=True),
        sa.Column("built_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_page_snapshot")),
    )
    # Existing companies start at the current revision: pages stored from now on are measured against it.
    op.add_column("company", sa.Column("changed_revision", sa.BigInteger(), server_default="0", nullable=False))
    op.execute("UPDATE company SET changed_revision = COALESCE((SELECT revision FROM data_revision WHERE id = 1), 0)")


def downgrade() -> None:
    with op.batch_alter_table("company") as batch:
        batch.drop_column("changed_revision")
    op.drop_table("page_snapshot")
