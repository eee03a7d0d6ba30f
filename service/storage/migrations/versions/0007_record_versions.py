"""Front-line forms (issue 13): versions of corrected agency records.

- `record_versions`: every version of a corrected record (its event date and content as JSON).
  Version 1 is the record as first stored, written at its first correction; each correction
  adds the next version, so the old content is kept beside the new one;
- `corrections.family_id` becomes nullable: a submitting institution may correct a record
  about a subject the registry does not know yet (not linked to a family).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 14:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_record_versions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_versions")),
        sa.UniqueConstraint(
            "record_type", "record_id", "version", name=op.f("uq_record_versions_record_type")
        ),
    )
    with op.batch_alter_table("record_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_record_versions_record_id"), ["record_id"], unique=False
        )
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.alter_column("family_id", existing_type=sa.String(length=64), nullable=True)


def downgrade() -> None:
    # Corrections of unlinked records cannot be kept under the old schema.
    op.execute("DELETE FROM corrections WHERE family_id IS NULL")
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.alter_column("family_id", existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table("record_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_versions_record_id"))
    op.drop_table("record_versions")
