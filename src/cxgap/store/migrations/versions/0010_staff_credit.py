"""Staff and team on encounters and feedback messages (delight credit).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = ("encounters", "feedback_messages")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("staff", sa.String(length=120), nullable=True))
            batch.add_column(sa.Column("team", sa.String(length=80), nullable=True))
            batch.create_index(f"ix_{table}_staff", ["staff"])
            batch.create_index(f"ix_{table}_team", ["team"])


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_team")
            batch.drop_index(f"ix_{table}_staff")
            batch.drop_column("team")
            batch.drop_column("staff")
