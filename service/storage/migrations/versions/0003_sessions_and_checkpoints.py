"""Sessions that end: a per-user token version and a forced password change.

`token_version` is carried in every access token; a password reset, a disable and a logout
raise it, so every token and page cookie issued before stops working at once.
`password_change_required` is set by a reset: the one-time password is good for one sign-in,
whose token may only change the password.

The access log's checkpoints live outside the database (a signed JSON-lines file, see
`service.storage.checkpoints`), so this revision adds nothing for them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 12:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("token_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "password_change_required",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("password_change_required")
        batch_op.drop_column("token_version")
