"""Indexes for the case queues at size: a team's queue in due order, and the counts of
a team's or an owner's open cases read from an index alone.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_cases_team_due": ["team", "resolution_due_at"],
    "ix_cases_team_state": ["team", "state"],
    "ix_cases_owner_state": ["owner_id", "state"],
}


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)
