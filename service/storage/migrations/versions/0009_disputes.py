"""Subject access (issue 14): a person's disputes of what is held about them, and outcomes.

- `disputes`: one row per dispute recorded by the council: the person, the family and its
  district, the disputed record and field (both optional), the person's statement, the status
  (open, accepted, rejected), the council's reason, and the correction an accepted dispute led
  to (`corrections.id`).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("family_id", sa.String(length=64), nullable=False),
        sa.Column("district", sa.String(length=64), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=True),
        sa.Column("record_id", sa.String(length=64), nullable=True),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome_reason", sa.Text(), nullable=True),
        sa.Column("correction_id", sa.Integer(), nullable=True),
        sa.Column("received_by", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.person_id"], name=op.f("fk_disputes_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.family_id"], name=op.f("fk_disputes_family_id_families")
        ),
        sa.ForeignKeyConstraint(
            ["correction_id"],
            ["corrections.id"],
            name=op.f("fk_disputes_correction_id_corrections"),
        ),
        sa.ForeignKeyConstraint(
            ["received_by"], ["users.id"], name=op.f("fk_disputes_received_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_disputes_decided_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
    )
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disputes_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_disputes_family_id"), ["family_id"], unique=False)
        batch_op.create_index("ix_disputes_district_status", ["district", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.drop_index("ix_disputes_district_status")
        batch_op.drop_index(batch_op.f("ix_disputes_family_id"))
        batch_op.drop_index(batch_op.f("ix_disputes_person_id"))
    op.drop_table("disputes")
