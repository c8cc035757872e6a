"""Service standards (versioned), delivery units and measurements, and promises.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
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
        "service_standards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("instrument", sa.String(length=80), nullable=True),
        sa.Column("item", sa.String(length=80), nullable=True),
        sa.Column("dimension", sa.String(length=80), nullable=True),
        sa.Column("segment", sa.String(length=120), nullable=True),
        sa.Column("metric", sa.String(length=200), nullable=False),
        sa.Column("measure_unit", sa.String(length=40), nullable=False),
        sa.Column("higher_is_better", sa.Boolean(), nullable=False),
        sa.Column("floor", sa.Float(), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("source", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=254), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_standards")),
        sa.UniqueConstraint("key", "version", name="uq_service_standards_key_version"),
    )
    with op.batch_alter_table("service_standards", schema=None) as batch_op:
        batch_op.create_index("ix_service_standards_status", ["status"], unique=False)
    op.create_table(
        "delivery_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_units")),
        sa.UniqueConstraint("key", name=op.f("uq_delivery_units_key")),
    )
    op.create_table(
        "delivery_measurements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("standard_key", sa.String(length=80), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=True),
        sa.Column("met", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["delivery_units.id"],
            name=op.f("fk_delivery_measurements_unit_id_delivery_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_measurements")),
        sa.UniqueConstraint(
            "standard_key", "unit_id", "period", name="uq_delivery_measurements_standard_key"
        ),
    )
    with op.batch_alter_table("delivery_measurements", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_measurements_unit_id", ["unit_id"], unique=False)
    op.create_table(
        "service_promises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("audience", sa.String(length=120), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("instrument", sa.String(length=80), nullable=True),
        sa.Column("item", sa.String(length=80), nullable=True),
        sa.Column("dimension", sa.String(length=80), nullable=True),
        sa.Column("standard_key", sa.String(length=80), nullable=True),
        sa.Column("promised_level", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_promises")),
        sa.UniqueConstraint("key", name=op.f("uq_service_promises_key")),
    )


def downgrade() -> None:
    op.drop_table("service_promises")
    with op.batch_alter_table("delivery_measurements", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_measurements_unit_id")
    op.drop_table("delivery_measurements")
    op.drop_table("delivery_units")
    with op.batch_alter_table("service_standards", schema=None) as batch_op:
        batch_op.drop_index("ix_service_standards_status")
    op.drop_table("service_standards")
