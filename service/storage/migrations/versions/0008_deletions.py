"""Retention and deletion (issue 14): tombstones of what was destroyed, and the lists they mark.

- `deletions`: one row per destruction (a family past its retention period, unlinked records,
  old upload reports, or one record or person deleted by the admin on a legal ground): kind,
  ground, the admin's reason, rows destroyed per table (JSON), who and when. Never the content,
  never a family id, person id or IIN hash;
- `deletion_snapshots`: the stored lists that used a record or person deleted on a legal ground
  (the lists themselves stay as they were shown: snapshots are immutable).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 14:40:00
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
        "deletions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ground", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("record_type", sa.String(length=32), nullable=True),
        sa.Column("record_id", sa.String(length=64), nullable=True),
        sa.Column("district", sa.String(length=64), nullable=True),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_deletions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deletions")),
    )
    op.create_table(
        "deletion_snapshots",
        sa.Column("deletion_id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deletion_id"],
            ["deletions.id"],
            name=op.f("fk_deletion_snapshots_deletion_id_deletions"),
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["list_snapshots.id"],
            name=op.f("fk_deletion_snapshots_snapshot_id_list_snapshots"),
        ),
        sa.PrimaryKeyConstraint("deletion_id", "snapshot_id", name=op.f("pk_deletion_snapshots")),
    )


def downgrade() -> None:
    op.drop_table("deletion_snapshots")
    op.drop_table("deletions")
