"""Server-side web sessions (sign-out and a password change revoke them) and
failed sign-ins (for the brute-force limit).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("caseworker_id", sa.String(length=100), nullable=True),
        sa.Column("data", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_sessions")),
    )
    op.create_index("ix_web_sessions_caseworker", "web_sessions", ["caseworker_id"])
    op.create_index("ix_web_sessions_seen", "web_sessions", ["seen_at"])
    op.create_table(
        "web_sign_in_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sign_in_failures")),
    )
    op.create_index("ix_web_sign_in_failures_key_at", "web_sign_in_failures", ["key", "at"])


def downgrade() -> None:
    op.drop_index("ix_web_sign_in_failures_key_at", table_name="web_sign_in_failures")
    op.drop_table("web_sign_in_failures")
    op.drop_index("ix_web_sessions_seen", table_name="web_sessions")
    op.drop_index("ix_web_sessions_caseworker", table_name="web_sessions")
    op.drop_table("web_sessions")
