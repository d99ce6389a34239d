"""The register files read, for the CPR extract's chain of production dates.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "register_extracts",
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("production_date", sa.Date(), nullable=False),
        sa.Column("previous_date", sa.Date(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "production_date", name=op.f("pk_register_extracts")),
    )


def downgrade() -> None:
    op.drop_table("register_extracts")
