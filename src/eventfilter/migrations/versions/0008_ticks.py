"""Date-triggered decisions: how far each case, and the register as a whole, is ticked.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("ticked_through", sa.Date(), nullable=True))
    op.create_table(
        "ticks",
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("through", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_ticks")),
    )
    op.create_index("ix_persons_birth_date", "persons", ["birth_date"])


def downgrade() -> None:
    op.drop_index("ix_persons_birth_date", table_name="persons")
    op.drop_table("ticks")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("ticked_through")
