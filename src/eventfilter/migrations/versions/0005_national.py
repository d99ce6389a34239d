"""National scale: open windows read back in decision order; replay's
processed events (no message id) kept out of the message-id index.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("windows", schema=None) as batch_op:
        batch_op.create_index("ix_windows_order", ["effective_date", "case_id"], unique=False)
    op.drop_index("ix_processed_events_message_id", table_name="processed_events")
    op.create_index(
        "ix_processed_events_message_id",
        "processed_events",
        ["message_id"],
        unique=True,
        sqlite_where=sa.text("message_id IS NOT NULL"),
        postgresql_where=sa.text("message_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_processed_events_message_id", table_name="processed_events")
    op.create_index("ix_processed_events_message_id", "processed_events", ["message_id"], unique=True)
    with op.batch_alter_table("windows", schema=None) as batch_op:
        batch_op.drop_index("ix_windows_order")
