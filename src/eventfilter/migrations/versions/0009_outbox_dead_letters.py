"""The stream's dead letters go out through the outbox: why a message was
refused, the queue it came from, and the message as it came (any bytes). A
dead letter's position holds "message " and a message id of up to 200
characters (it held 100: a longer one stopped the stream on PostgreSQL).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("queue", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("raw", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("dead_letters") as batch:
        batch.alter_column("position", type_=sa.String(length=300), existing_type=sa.String(length=100))


def downgrade() -> None:
    # the older code would publish them to the payment system: they stay in dead_letters
    op.execute("DELETE FROM outbox WHERE error IS NOT NULL")
    with op.batch_alter_table("dead_letters") as batch:  # a longer position is cut, not refused
        batch.alter_column(
            "position",
            type_=sa.String(length=100),
            existing_type=sa.String(length=300),
            postgresql_using="left(position, 100)",
        )
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("raw")
        batch.drop_column("queue")
        batch.drop_column("error")
