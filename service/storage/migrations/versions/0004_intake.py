"""Real intake (issue 16): bulk uploads, the two outcome record kinds, historical records.

- `imports`: one row per bulk upload (who, kind, state, result; never the file's content);
- `hospital_injuries` (clinic) and `care_placements` (guardianship authority): the outcome
  records agencies submit;
- `historical` and `import_id` on every agency record table, `import_id` on `outcomes`: a
  historical upload keeps its source's knowledge dates and is marked; the upload that stored a
  row tells a duplicate row inside one file from a row stored by an earlier upload;
- `persons.died_on`: deaths from the register's monthly changes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 12:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_OLD_RECORDS = ("school_surveys", "medical_screenings", "police_signals")


def _record_columns(table: str) -> list[sa.Column[object]]:
    return [
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("family_id", sa.String(length=64), nullable=True),
        sa.Column("person_id", sa.String(length=64), nullable=True),
        sa.Column("subject_iin_hash", sa.String(length=64), nullable=True),
        sa.Column("institution_id", sa.String(length=64), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("knowledge_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("historical", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("import_id", sa.Integer(), nullable=True),
    ]


def _record_constraints(table: str) -> list[sa.Constraint]:
    return [
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.family_id"], name=op.f(f"fk_{table}_family_id_families")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.person_id"], name=op.f(f"fk_{table}_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["users.id"], name=op.f(f"fk_{table}_submitted_by_users")
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f(f"pk_{table}")),
    ]


def _record_indexes(table: str) -> None:
    op.create_index(op.f(f"ix_{table}_family_id"), table, ["family_id"])
    op.create_index(op.f(f"ix_{table}_subject_iin_hash"), table, ["subject_iin_hash"])


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("file_format", sa.String(length=16), nullable=False),
        sa.Column("historical", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("already_stored", sa.Integer(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_imports_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
    )
    op.create_table(
        "hospital_injuries",
        *_record_columns("hospital_injuries"),
        sa.Column("admitted", sa.Boolean(), nullable=False),
        sa.Column("forms", sa.String(length=128), nullable=False),
        *_record_constraints("hospital_injuries"),
    )
    _record_indexes("hospital_injuries")
    op.create_table(
        "care_placements",
        *_record_columns("care_placements"),
        sa.Column("placement", sa.String(length=32), nullable=False),
        sa.Column("temporary", sa.Boolean(), nullable=False),
        *_record_constraints("care_placements"),
    )
    _record_indexes("care_placements")
    for table in _OLD_RECORDS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("historical", sa.Boolean(), nullable=False, server_default=sa.false())
            )
            batch_op.add_column(sa.Column("import_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("import_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("died_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_column("died_on")
    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.drop_column("import_id")
    for table in _OLD_RECORDS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("import_id")
            batch_op.drop_column("historical")
    for table in ("care_placements", "hospital_injuries"):
        op.drop_index(op.f(f"ix_{table}_subject_iin_hash"), table_name=table)
        op.drop_index(op.f(f"ix_{table}_family_id"), table_name=table)
        op.drop_table(table)
    op.drop_table("imports")
