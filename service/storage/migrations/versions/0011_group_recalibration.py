"""Recalibration within groups (issue 18): which attribute a list's model recalibrated within,
and the log-odds shift each family's probability got.

Both are null for every list stored before, for checklist lists, and for models without a
recalibration (the default): their probabilities are the calibrated ones as they were.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("list_snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recalibrated_within", sa.String(length=32), nullable=True))
    with op.batch_alter_table("snapshot_families", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_shift", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("snapshot_families", schema=None) as batch_op:
        batch_op.drop_column("group_shift")
    with op.batch_alter_table("list_snapshots", schema=None) as batch_op:
        batch_op.drop_column("recalibrated_within")
