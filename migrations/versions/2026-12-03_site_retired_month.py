"""a site's retired month: the first month it no longer operates, so that coverage of a company total counts
only the sites operating that month

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("site") as batch:
        batch.add_column(sa.Column("retired_on", sa.Date(), nullable=True))
        batch.create_check_constraint(
            op.f("ck_site_retired_after_energized"),
            "retired_on IS NULL OR energized_on IS NULL OR retired_on > energized_on",
        )


def downgrade() -> None:
    with op.batch_alter_table("site") as batch:
        batch.drop_constraint(op.f("ck_site_retired_after_energized"), type_="check")
        batch.drop_column("retired_on")
