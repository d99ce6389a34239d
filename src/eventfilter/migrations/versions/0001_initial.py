"""Initial schema: register state, cases, processed events, windows, decisions,
parameter sets, holds, review items, dead letters and runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("case_id", sa.String(length=200), nullable=False),
        sa.Column("benefit", sa.String(length=50), nullable=False),
        sa.Column("beneficiary_id", sa.String(length=64), nullable=False),
        sa.Column("municipality_code", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("dwelling_address_id", sa.String(length=200), nullable=True),
        sa.Column("housing_cost", sa.Float(), nullable=True),
        sa.Column("hold_event_ids", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("in_active_set", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_cases")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_beneficiary_id"), ["beneficiary_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cases_dwelling_address_id"), ["dwelling_address_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cases_municipality_code"), ["municipality_code"], unique=False)

    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("position", sa.String(length=100), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("raw_hash", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
        sa.UniqueConstraint("source", "position", "raw_hash", name=op.f("uq_dead_letters_source")),
    )
    op.create_table(
        "decisions",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("decision_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=200), nullable=True),
        sa.Column("benefit", sa.String(length=50), nullable=True),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("event_ids", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("before", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("after", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("rule_pack", sa.String(length=100), nullable=False),
        sa.Column("parameter_set", sa.String(length=24), nullable=True),
        sa.Column("hold", sa.String(length=10), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("review_item_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_decisions")),
        sa.UniqueConstraint("decision_id", name=op.f("uq_decisions_decision_id")),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decisions_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_decisions_review_item_id"), ["review_item_id"], unique=False)

    op.create_table(
        "holds",
        sa.Column("hold_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=200), nullable=False),
        sa.Column("decision_id", sa.String(length=40), nullable=True),
        sa.Column("event_ids", sa.JSON(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(length=100), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("hold_id", name=op.f("pk_holds")),
    )
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_holds_case_id"), ["case_id"], unique=False)

    op.create_table(
        "parameter_sets",
        sa.Column("set_key", sa.String(length=24), nullable=False),
        sa.Column("rule_pack", sa.String(length=100), nullable=False),
        sa.Column("benefit", sa.String(length=50), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("set_key", name=op.f("pk_parameter_sets")),
    )
    op.create_table(
        "persons",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("alive", sa.Boolean(), nullable=False),
        sa.Column("address_id", sa.String(length=200), nullable=True),
        sa.Column("municipality_code", sa.String(length=20), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("marital_status", sa.String(length=30), nullable=True),
        sa.Column("partner_id", sa.String(length=64), nullable=True),
        sa.Column("parent_ids", sa.JSON(), nullable=False),
        sa.Column("monthly_income", sa.Float(), nullable=True),
        sa.Column("income_period", sa.String(length=7), nullable=True),
        sa.Column("protected_address", sa.Boolean(), nullable=False),
        sa.Column("versions", sa.JSON(none_as_null=True), nullable=True),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_persons")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("effects", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_processed_events")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "review_items",
        sa.Column("item_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("urgent_code", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_review_items")),
    )
    with op.batch_alter_table("review_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_items_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_review_items_open_case", ["case_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_items_status"), ["status"], unique=False)

    op.create_table(
        "runs",
        sa.Column("run_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("counts", sa.JSON(none_as_null=True), nullable=True),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_runs")),
    )
    op.create_table(
        "windows",
        sa.Column("case_id", sa.String(length=200), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("opened_at", sa.Float(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_windows")),
    )


def downgrade() -> None:
    op.drop_table("windows")
    op.drop_table("runs")
    with op.batch_alter_table("review_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_items_status"))
        batch_op.drop_index("ix_review_items_open_case")
        batch_op.drop_index(batch_op.f("ix_review_items_case_id"))

    op.drop_table("review_items")
    op.drop_table("processed_events")
    op.drop_table("persons")
    op.drop_table("parameter_sets")
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_holds_case_id"))

    op.drop_table("holds")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decisions_review_item_id"))
        batch_op.drop_index(batch_op.f("ix_decisions_case_id"))

    op.drop_table("decisions")
    op.drop_table("dead_letters")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_municipality_code"))
        batch_op.drop_index(batch_op.f("ix_cases_dwelling_address_id"))
        batch_op.drop_index(batch_op.f("ix_cases_beneficiary_id"))

    op.drop_table("cases")
