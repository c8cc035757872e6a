"""Customer lifecycle (relationships, plan changes, complaints) and action plans with tasks.

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
    op.create_table(
        "action_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("survey_key", sa.String(length=80), nullable=False),
        sa.Column("gap_kind", sa.String(length=20), nullable=False),
        sa.Column("gap_key", sa.String(length=80), nullable=False),
        sa.Column("segment", sa.String(length=160), nullable=True),
        sa.Column("unit_attribute", sa.String(length=120), nullable=True),
        sa.Column("targeted_units", sa.JSON(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("owner", sa.String(length=254), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("expected_effect", sa.Float(), nullable=True),
        sa.Column("expected_by", sa.Date(), nullable=True),
        sa.Column("linked", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_action_plans_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_plans")),
    )
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=120), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=80), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unit", sa.String(length=80), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_complaints_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("external_id", name=op.f("uq_complaints_external_id")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index("ix_complaints_customer_id", ["customer_id"], unique=False)
        batch_op.create_index("ix_complaints_received_at", ["received_at"], unique=False)

    op.create_table(
        "customer_relationships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=80), nullable=True),
        sa.Column("voluntary", sa.Boolean(), nullable=True),
        sa.Column("plan", sa.String(length=80), nullable=True),
        sa.Column("unit", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_relationships_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_relationships")),
    )
    with op.batch_alter_table("customer_relationships", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_relationships_customer_id", ["customer_id"], unique=False
        )

    op.create_table(
        "plan_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("from_plan", sa.String(length=80), nullable=True),
        sa.Column("to_plan", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_plan_changes_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_changes")),
    )
    with op.batch_alter_table("plan_changes", schema=None) as batch_op:
        batch_op.create_index("ix_plan_changes_customer_id", ["customer_id"], unique=False)

    op.create_table(
        "action_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("assignee", sa.String(length=254), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["action_plans.id"],
            name=op.f("fk_action_tasks_plan_id_action_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_tasks")),
    )
    with op.batch_alter_table("action_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_action_tasks_plan_id", ["plan_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("action_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_action_tasks_plan_id")

    op.drop_table("action_tasks")
    with op.batch_alter_table("plan_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_changes_customer_id")

    op.drop_table("plan_changes")
    with op.batch_alter_table("customer_relationships", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_relationships_customer_id")

    op.drop_table("customer_relationships")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index("ix_complaints_received_at")
        batch_op.drop_index("ix_complaints_customer_id")

    op.drop_table("complaints")
    op.drop_table("action_plans")
