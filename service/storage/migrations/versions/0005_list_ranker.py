"""Lists before the first model: which ranker built a snapshot, and entries without a probability.

A district that starts without a champion model gets interim lists ranked by the transparent
checklist (`model.baselines.ChecklistBaseline`). Their entries have a checklist score (the
count of yes-answers, in `raw_score`) but no calibrated probability and no band, so both
columns become nullable; every snapshot stored before this revision was built by a model.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 12:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("list_snapshots", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ranker", sa.String(length=16), nullable=False, server_default="model")
        )
    with op.batch_alter_table("snapshot_families", schema=None) as batch_op:
        batch_op.alter_column("probability", existing_type=sa.Float(), nullable=True)
        batch_op.alter_column("band", existing_type=sa.String(length=16), nullable=True)


def downgrade() -> None:
    # Checklist entries have no probability: they cannot be kept under the old schema.
    op.execute(
        "DELETE FROM snapshot_families WHERE snapshot_id IN "
        "(SELECT id FROM list_snapshots WHERE ranker = 'checklist')"
    )
    op.execute("DELETE FROM list_snapshots WHERE ranker = 'checklist'")
    with op.batch_alter_table("snapshot_families", schema=None) as batch_op:
        batch_op.alter_column("band", existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column("probability", existing_type=sa.Float(), nullable=False)
    with op.batch_alter_table("list_snapshots", schema=None) as batch_op:
        batch_op.drop_column("ranker")
