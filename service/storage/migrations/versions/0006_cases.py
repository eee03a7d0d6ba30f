"""Case work (issue 12): cases, their measures, the measures' history, and priority holds.

- `cases`: one per family at a time while open (partial unique index on `family_id` where
  `status = 'open'`), with the council's watch flag and the closing note;
- `case_measures`: the plan (agency, institution, officer, target person, due date, status);
- `measure_events`: the append-only history of every measure's status;
- `priority_holds`: raised (`watch`) and lowered priorities the monthly lists honour;
- `snapshot_families.hold`: the hold a list honoured for the family (`watch` | `lowered`).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 14:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.String(length=64), nullable=False),
        sa.Column("district", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("watch", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("opened_by", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("first_decision_id", sa.Integer(), nullable=False),
        sa.Column("list_month", sa.String(length=7), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("close_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.family_id"], name=op.f("fk_cases_family_id_families")
        ),
        sa.ForeignKeyConstraint(["opened_by"], ["users.id"], name=op.f("fk_cases_opened_by_users")),
        sa.ForeignKeyConstraint(
            ["first_decision_id"],
            ["decisions.id"],
            name=op.f("fk_cases_first_decision_id_decisions"),
        ),
        sa.ForeignKeyConstraint(["closed_by"], ["users.id"], name=op.f("fk_cases_closed_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    op.create_index(op.f("ix_cases_family_id"), "cases", ["family_id"])
    op.create_index("ix_cases_district_status", "cases", ["district", "status"])
    op.create_index(
        "uq_cases_open_family",
        "cases",
        ["family_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "case_measures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("measure", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("institution_id", sa.String(length=64), nullable=True),
        sa.Column("officer", sa.String(length=200), nullable=True),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_measures_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name=op.f("fk_case_measures_decision_id_decisions")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.person_id"], name=op.f("fk_case_measures_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_case_measures_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_measures")),
    )
    op.create_index(op.f("ix_case_measures_case_id"), "case_measures", ["case_id"])
    op.create_index("ix_case_measures_agency_status", "case_measures", ["agency", "status"])
    op.create_table(
        "measure_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status_from", sa.String(length=16), nullable=True),
        sa.Column("status_to", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["case_measures.id"],
            name=op.f("fk_measure_events_measure_id_case_measures"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_measure_events_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_events")),
    )
    op.create_index(op.f("ix_measure_events_measure_id"), "measure_events", ["measure_id"])
    op.create_table(
        "priority_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.String(length=64), nullable=False),
        sa.Column("district", sa.String(length=64), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("began_on", sa.Date(), nullable=False),
        sa.Column("from_month", sa.String(length=7), nullable=False),
        sa.Column("until_month", sa.String(length=7), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("ended_reason", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["families.family_id"],
            name=op.f("fk_priority_holds_family_id_families"),
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name=op.f("fk_priority_holds_decision_id_decisions")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_priority_holds_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_priority_holds")),
    )
    op.create_index(op.f("ix_priority_holds_family_id"), "priority_holds", ["family_id"])
    with op.batch_alter_table("snapshot_families", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hold", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("snapshot_families", schema=None) as batch_op:
        batch_op.drop_column("hold")
    op.drop_index(op.f("ix_priority_holds_family_id"), table_name="priority_holds")
    op.drop_table("priority_holds")
    op.drop_index(op.f("ix_measure_events_measure_id"), table_name="measure_events")
    op.drop_table("measure_events")
    op.drop_index("ix_case_measures_agency_status", table_name="case_measures")
    op.drop_index(op.f("ix_case_measures_case_id"), table_name="case_measures")
    op.drop_table("case_measures")
    op.drop_index("uq_cases_open_family", table_name="cases")
    op.drop_index("ix_cases_district_status", table_name="cases")
    op.drop_index(op.f("ix_cases_family_id"), table_name="cases")
    op.drop_table("cases")
