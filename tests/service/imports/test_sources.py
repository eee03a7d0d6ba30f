"""The register, historical uploads and the outcomes: where each record comes from, and labels
built from the database equal to labels built from the simulator's files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import select

from features.contracts import OutcomeKind
from features.iin import make_iin
from features.loaders import load_events as load_files
from features.pipeline.labels import build_labels
from features.simulator import Population
from service.auth.roles import UserRole
from service.auth.security import hash_iin
from service.imports.kinds import ImportKind
from service.imports.run import import_rows
from service.imports.store import iin_hasher
from service.records.importer import import_directory
from service.storage.db import make_engine, read_connection
from service.storage.events import load_events
from service.storage.migrate import upgrade
from service.storage.tables import AccessLogEntry, Family, Person, SchoolSurveyRow
from tests.service.conftest import IIN_KEY, Service
from tests.service.imports.files import csv_bytes, persons_of, survey_rows, upload

R = UserRole


def test_the_bulk_hasher_is_the_service_hash() -> None:
    iin = "850315401231"
    assert iin_hasher(b"k" * 40)(iin) == hash_iin(iin, key=b"k" * 40)


def test_labels_from_the_database_equal_labels_from_the_files(
    db_url: str, small_population: Population, population_dir: Path
) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    import_directory(engine, population_dir, iin_key=IIN_KEY.encode())
    with read_connection(engine) as conn:
        database = load_events(conn)
    files = load_files(population_dir)
    assert database.outcomes.sort(pl.all()).equals(files.outcomes.sort(pl.all()))
    for as_of in (dt.date(2023, 7, 1), dt.date(2024, 1, 1), dt.date(2024, 6, 1)):
        for known_before in (None, dt.date(2024, 9, 1)):
            got = build_labels(database.outcomes, families=database.families, as_of=as_of,
                               known_before=known_before)  # fmt: skip
            want = build_labels(files.outcomes, families=files.families, as_of=as_of,
                                known_before=known_before)  # fmt: skip
            assert got.equals(want)
    engine.dispose()


def _outcome_kinds(service: Service, family: str) -> list[tuple[str, str]]:
    with read_connection(service.state.engine) as conn:
        outcomes = load_events(conn, family_ids=[family]).outcomes
    return sorted(zip(outcomes["kind"].to_list(), outcomes["record_id"].to_list(), strict=True))


def test_each_outcome_comes_from_its_agency_once(service: Service) -> None:
    pid = next(p for p in sorted(service.seeded.iins) if p.endswith("c")
               and service.seeded.family_of[p] in service.seeded.families["Almaly"])  # fmt: skip
    family, iin = service.seeded.family_of[pid], service.seeded.iins[pid]
    before = _outcome_kinds(service, family)
    headers = {r: service.headers(r, "Almaly") for r in (R.police, R.clinic, R.guardianship)}
    day = "2025-05-03"
    for path, role, body in (
        ("police-signals", R.police, {"kind": "criminal_offense"}),
        ("police-signals", R.police, {"kind": "domestic_call"}),  # not an outcome
        ("hospital-injuries", R.clinic, {"admitted": True, "forms": ["physical"]}),
        ("care-placements", R.guardianship, {"placement": "relatives", "temporary": True}),
    ):
        payload = {"subject_iin": iin, "event_date": day, **body}
        response = service.client.post(f"/v1/records/{path}", headers=headers[role], json=payload)
        assert response.status_code == 201, response.text
    added = [k for k in _outcome_kinds(service, family) if k not in before]
    assert sorted(kind for kind, _ in added) == [
        OutcomeKind.criminal_offense, OutcomeKind.guardianship_care, OutcomeKind.hospital_injury,
    ]  # fmt: skip
    assert {rid[:3] for _, rid in added} == {"ps-", "hi-", "gc-"}


def test_a_historical_upload_keeps_its_knowledge_dates(service: Service) -> None:
    iins = persons_of(service, "Almaly")[:3]
    rows = [{**r, "knowledge_date": "2025-05-20", "institution_id": "SCH-archive"}
            for r in survey_rows(iins)]  # fmt: skip
    columns = [*rows[0]]
    live = upload(service, R.school, "Almaly", kind="school_survey",
                  content=csv_bytes(rows, columns), historical=True)  # fmt: skip
    assert live.status_code == 403  # only the admin uploads history
    response = upload(service, R.admin, None, kind="school_survey",
                      content=csv_bytes(rows, columns), historical=True)  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.json()["historical"] is True
    with service.state.sessions() as session:
        stored = session.scalars(
            select(SchoolSurveyRow).where(SchoolSurveyRow.institution_id == "SCH-archive")
        ).all()
        assert [(r.knowledge_date, r.historical) for r in stored] == [
            (dt.date(2025, 5, 20), True)
        ] * 3
        assert (
            session.scalar(
                select(AccessLogEntry.action).where(AccessLogEntry.action.like("import:%"))
            )
            == "import:school_survey:3rows:3new:historical"
        )


def _new_iin(year: int, serial: int) -> str:
    value = None
    while value is None:
        value = make_iin(dt.date(year, 3, 4), male=False, serial=serial)
        serial += 1
    return value


def test_the_register_links_records_and_takes_monthly_changes(service: Service) -> None:
    state = service.state
    admin = service.user(R.admin)
    iin = _new_iin(2013, 4000)
    # A school record about a child the register does not know yet stays unlinked ...
    school = upload(service, R.school, "Almaly", kind="school_survey",
                    content=csv_bytes(survey_rows([iin])))  # fmt: skip
    assert school.status_code == 201, school.text
    families = [{"family_id": "FNEW1", "region": "Almaty", "district": "Almaly", "urban": "yes",
                 "n_children": 1, "ethnicity": "kazakh", "language": "kk",
                 "income_group": "low", "disability_in_household": "no",
                 "single_parent": "yes"}]  # fmt: skip
    result = import_rows(state, principal=admin, kind=ImportKind.families, rows_or_file=families)
    assert (result.ok, result.stored) == (True, 1)
    persons = [{"person_id": "PNEW1", "family_id": "FNEW1", "role": "child", "sex": "female",
                "birth_year": 2013, "full_name": "A Child", "iin": iin}]  # fmt: skip
    result = import_rows(state, principal=admin, kind="persons", rows_or_file=persons)
    assert (result.ok, result.stored) == (True, 1)
    # ... until the register extract names them: then it is linked.
    with state.sessions() as session:
        linked = session.scalars(
            select(SchoolSurveyRow.family_id).where(
                SchoolSurveyRow.subject_iin_hash == hash_iin(iin, key=state.secrets.iin_hash_key)
            )
        ).all()
    assert linked == ["FNEW1"]
    # The same extract again changes nothing.
    again = import_rows(state, principal=admin, kind="persons", rows_or_file=persons)
    assert (again.stored, again.updated, again.already_stored) == (0, 0, 1)
    changes = [
        {"change": "family_move", "family_id": "FNEW1", "district": "Bostandyk"},
        {"change": "death", "person_id": "PNEW1", "date": "2025-06-01"},
        {"change": "move", "person_id": "PNEW1", "family_id": service.seeded.families["Almaly"][0]},
    ]  # fmt: skip
    result = import_rows(state, principal=admin, kind="register_changes", rows_or_file=changes)
    assert (result.ok, result.updated) == (True, 3)
    with state.sessions() as session:
        assert session.get(Family, "FNEW1").district == "Bostandyk"  # type: ignore[union-attr]
        person = session.get(Person, "PNEW1")
        assert person is not None
        assert (person.family_id, person.died_on) == (
            service.seeded.families["Almaly"][0], dt.date(2025, 6, 1),
        )  # fmt: skip
    bad = import_rows(state, principal=admin, kind="register_changes",
                      rows_or_file=[{"change": "death", "person_id": "PNOBODY"},
                                    {"change": "move", "person_id": "PNEW1"}])  # fmt: skip
    assert [(e.row, e.column) for e in bad.errors] == [(2, "date"), (3, "family_id")]


def test_register_rows_are_the_admins(service: Service) -> None:
    with pytest.raises(Exception, match="may upload only"):
        import_rows(service.state, principal=service.user(R.school, "Almaly"), kind="families",
                    rows_or_file=[{"family_id": "X"}])  # fmt: skip
