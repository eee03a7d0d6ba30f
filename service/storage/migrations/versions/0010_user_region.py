"""Regional and ministry users (issue 14): the region a `regional` user reads statistics of.

`users.region` is null for every other role; existing users keep null. The roles themselves
are values of `users.role` (a plain string), so they need no schema change.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 14:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("region")
