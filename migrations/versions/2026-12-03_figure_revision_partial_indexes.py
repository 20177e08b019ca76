"""partial indexes on figure_revision for provenance: the company's own and titled entries, and the superseded
ones, so a series load finds the few entries it needs without reading one per published figure

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in app.store.models.history (a migration keeps its own copy: the model may change later).
KEPT = "entity_kind = 'company' OR source_title IS NOT NULL"
SUPERSEDED = "superseded_at IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "ix_figure_revision_kept",
        "figure_revision",
        ["company_id", "period"],
        postgresql_where=sa.text(KEPT),
        sqlite_where=sa.text(KEPT),
    )
    op.create_index(
        "ix_figure_revision_superseded",
        "figure_revision",
        ["company_id", "entity_kind", "entity_id", "period", "metric"],
        postgresql_where=sa.text(SUPERSEDED),
        sqlite_where=sa.text(SUPERSEDED),
    )


def downgrade() -> None:
    op.drop_index("ix_figure_revision_superseded", table_name="figure_revision")
    op.drop_index("ix_figure_revision_kept", table_name="figure_revision")
