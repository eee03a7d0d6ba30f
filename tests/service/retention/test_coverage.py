"""The purge's one declaration (`service.retention.purge.HELD`) covers every table of the schema
that holds a family's or a person's data, including tables added by later issues."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table

from service.retention.purge import HELD, PENDING, Action
from service.storage.tables import Base

#: Columns that name a family, a person, a subject or a record.
IDENTIFYING = frozenset({"family_id", "person_id", "subject_iin_hash", "iin_hash", "record_id"})
#: Identifying columns deliberately outside the purge, with the reason.
NOT_PURGED = {
    # The tombstone of a deleted record keeps the service-issued record id (never a family,
    # person or IIN hash), so a court or the agency can learn that it was deleted.
    ("deletions", "record_id"),
}


def uncovered(metadata: MetaData) -> list[str]:
    """Identifying columns, and foreign keys to tables the purge deletes from, that no `Held`
    declares."""
    declared = {(h.table, h.column) for h in HELD}
    declared_tables = {h.table for h in HELD}
    deleted = {h.table for h in HELD if h.action is Action.delete}
    missing = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            if (table.name, column.name) in declared | NOT_PURGED:
                continue
            if column.name in IDENTIFYING:
                missing.append(f"{table.name}.{column.name}")
        if table.name in declared_tables:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name in deleted and fk.column.table.name != table.name:
                missing.append(f"{table.name} -> {fk.column.table.name}")
    return missing


def test_every_table_holding_family_or_person_data_is_declared() -> None:
    assert uncovered(Base.metadata) == [], (
        "declare these in service.retention.purge.HELD (delete, pseudonymise or keep, with why)"
    )


def test_a_new_table_with_a_family_column_is_caught() -> None:
    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table("visits", metadata, Column("id", Integer, primary_key=True),
          Column("family_id", String(64)))  # fmt: skip
    Table("visit_notes", metadata, Column("id", Integer, primary_key=True),
          Column("case_id", ForeignKey("cases.id")))  # fmt: skip
    assert sorted(uncovered(metadata)) == ["visit_notes -> cases", "visits.family_id"]


def test_every_declared_table_and_column_exists() -> None:
    tables = Base.metadata.tables
    for held in HELD:
        if held.table in PENDING:
            continue
        assert held.table in tables, f"{held.table}: not in the schema (add it to PENDING?)"
        assert held.column in tables[held.table].c, f"{held.table}.{held.column}: no such column"


def test_kept_and_pseudonymised_tables_say_why() -> None:
    for held in HELD:
        if held.action is not Action.delete:
            assert len(held.why) > 20, held
