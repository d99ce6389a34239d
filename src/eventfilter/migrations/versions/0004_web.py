"""The web review queue: local passwords for caseworkers, notes kept as drafts;
every address under protection remembered (so that older decisions naming it
are redacted too).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("caseworker_id", sa.String(length=100), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("caseworker_id", "item_id", name=op.f("pk_drafts")),
    )
    with op.batch_alter_table("caseworkers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.String(length=300), nullable=True))
    op.create_table(
        "protected_addresses",
        sa.Column("address_id", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("address_id", name=op.f("pk_protected_addresses")),
    )
    op.execute(
        "INSERT INTO protected_addresses (address_id) SELECT DISTINCT address_id FROM persons "
        "WHERE protected_address AND address_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_table("protected_addresses")
    with op.batch_alter_table("caseworkers", schema=None) as batch_op:
        batch_op.drop_column("password_hash")

    op.drop_table("drafts")
