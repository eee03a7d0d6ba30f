"""Writing validated rows, batch by batch, inside the upload's one transaction.

Each writer returns the row errors only the database can find (a row repeated inside the file,
a subject of another district, a family or person the register does not hold) and counts the
rows stored and those already stored by an earlier upload. The per-row key that makes a
re-upload store nothing twice is the record id: a historical row keeps its own, a live row gets
one derived from what identifies it (kind, institution, subject, event date, content), as the
Idempotency-Key does for a single submission.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import BaseModel
from sqlalchemy import Date, DateTime, String, Table, any_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from features.contracts import ALERT_KINDS, OUTCOME_POLICE_KINDS, PoliceKind
from service.auth.roles import Principal, UserRole
from service.auth.security import hash_iin
from service.imports.kinds import ImportKind
from service.imports.validate import (
    LiveRow,
    OutcomeRecord,
    PersonRecord,
    RegisterChange,
    RowError,
)
from service.records.kinds import RECORD_TYPES
from service.storage.tables import (
    Alert,
    Family,
    MedicalScreeningRow,
    OutcomeRow,
    Person,
    PoliceSignalRow,
    RecordBase,
    SchoolSurveyRow,
    utcnow,
)

_CONTRACT_ROWS: Final[dict[ImportKind, type[RecordBase]]] = {
    ImportKind.school_surveys: SchoolSurveyRow,
    ImportKind.medical_screenings: MedicalScreeningRow,
    ImportKind.police_signals: PoliceSignalRow,
}
_REPEATED: Final = "a row not repeated within the file"


@dataclass
class Counts:
    stored: int = 0
    already_stored: int = 0
    updated: int = 0
    #: Outcome rows of a police kind: the police signal is the outcome (never counted twice).
    police_outcomes: int = 0
    alert_ids: list[int] = field(default_factory=list)


@dataclass
class Writer:
    """What every writer knows: the transaction, the uploader and the upload."""

    session: Session
    principal: Principal
    kind: ImportKind
    import_id: int
    historical: bool
    iin_key: bytes
    today: dt.date
    counts: Counts = field(default_factory=Counts)

    def write(self, rows: Sequence[tuple[int, Any]]) -> list[RowError]:
        raise NotImplementedError

    def _existing(
        self, table: Any, key: Any, ids: list[str], numbers: dict[str, int]
    ) -> tuple[set[str], list[RowError]]:
        """Ids already stored, and an error for each row that repeats one of this file."""
        errors = []
        found: set[str] = set()
        if ids:
            for record_id, import_id in self.session.execute(
                select(key, table.import_id).where(among(key, ids, self.session))
            ):
                if import_id == self.import_id:
                    errors.append(
                        RowError(numbers[record_id], None, _REPEATED, "a repeat of an earlier row")
                    )
                found.add(record_id)
        return found, errors

    def _unique(
        self, keyed: list[tuple[str, int, dict[str, Any]]]
    ) -> tuple[list[tuple[str, int, dict[str, Any]]], list[RowError], dict[str, int]]:
        seen: dict[str, int] = {}
        unique = []
        errors = []
        for key, number, row in keyed:
            if key in seen:
                errors.append(RowError(number, None, _REPEATED, f"a repeat of row {seen[key]}"))
                continue
            seen[key] = number
            unique.append((key, number, row))
        return unique, errors, seen


def iin_hasher(key: bytes) -> Callable[[str], str]:
    """`hash_iin` with the key schedule computed once: HMAC's set-up cost more than the hash
    itself in a bulk upload. Gives exactly `service.auth.security.hash_iin`."""
    base = hmac.new(key, digestmod=hashlib.sha256)

    def hasher(iin: str) -> str:
        h = base.copy()
        h.update(iin.encode("ascii"))
        return h.hexdigest()

    return hasher


def insert_rows(session: Session, row_type: Any, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) in the session's transaction, below the ORM:
    SQLAlchemy's per-value bind processing cost as much as validating the rows. PostgreSQL gets
    them by COPY; SQLite by the driver's executemany, with dates as the text SQLAlchemy itself
    writes."""
    if not rows:
        return
    table = table_of(row_type)
    names = list(rows[0])
    columns = ", ".join(names)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(tuple(row.values()))
        return
    times = [i for i, n in enumerate(names) if isinstance(table.c[n].type, DateTime)]
    dates = [i for i, n in enumerate(names) if isinstance(table.c[n].type, Date) and i not in times]
    values = []
    for row in rows:
        cells = list(row.values())
        for i in dates:
            if cells[i] is not None:
                cells[i] = cells[i].isoformat()
        for i in times:
            if cells[i] is not None:
                cells[i] = cells[i].strftime("%Y-%m-%d %H:%M:%S.%f")
        values.append(tuple(cells))
    markers = ", ".join("?" for _ in names)
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) VALUES ({markers})", values)


def table_of(row_type: Any) -> Table:
    """The Core table of a mapped class: Core inserts skip the ORM's per-row bookkeeping."""
    table: Table = row_type.__table__
    return table


def among(column: Any, values: Sequence[str], session: Session) -> Any:
    """`column IN values` as one bound parameter (a JSON array on SQLite, an array on
    PostgreSQL): expanding thousands of parameters cost more than the query itself."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(String())))
    table = func.json_each(bindparam(None, json.dumps(list(values)), type_=String())).table_valued(
        "value"
    )
    return column.in_(select(table.c.value))


def _content(body: BaseModel, drop: tuple[str, ...]) -> dict[str, Any]:
    data = body.model_dump(exclude=set(drop))
    if "forms" in data:
        data["forms"] = ",".join(str(f) for f in data["forms"])
    return data


def row_key(
    kind: str, institution: str, subject: str, event: dt.date, content: dict[str, Any]
) -> str:
    """The per-row key of a live row: the same record from the same institution is the same
    row, in whichever file it comes."""
    # The content comes in the schema's order (one order per kind), its values are numbers,
    # booleans, codes, dates and comma-joined forms: their tuple's repr is unambiguous.
    canonical = f"{kind}\x1f{institution}\x1f{subject}\x1f{event}\x1f{tuple(content.values())!r}"
    return hashlib.sha256(canonical.encode()).hexdigest()[:40]


class LiveWriter(Writer):
    """Rows of a live record kind about subjects identified by their IIN."""

    def write(self, rows: Sequence[tuple[int, LiveRow]]) -> list[RowError]:
        _schema, row_type, prefix = RECORD_TYPES[self.kind.value]
        hasher = iin_hasher(self.iin_key)
        hashes = [hasher(r.body.subject_iin) for _, r in rows]
        persons = self._persons(sorted(set(hashes)))
        errors: list[RowError] = []
        keyed = []
        own = self.principal.institution_id or f"user:{self.principal.username}"
        now = utcnow()
        for (number, r), iin_hash in zip(rows, hashes, strict=True):
            if not self.historical and r.institution_id not in (None, own):
                errors.append(
                    RowError(number, "institution_id", f"your institution ({own})", "another")
                )
                continue
            person = persons.get(iin_hash)
            district = self.principal.district
            if (
                not self.historical
                and self.principal.role is not UserRole.admin
                and district is not None
                and person is not None
                and person[2] != district
            ):
                errors.append(
                    RowError(
                        number, "subject_iin", f"a person of your district ({district})",
                        "a person of another district",
                    )
                )  # fmt: skip
                continue
            institution = r.institution_id or own
            content = _content(r.body, ("subject_iin", "event_date"))
            key = r.record_id or (
                f"{prefix}-"
                + row_key(self.kind.value, institution, iin_hash, r.body.event_date, content)
            )
            keyed.append(
                (
                    key,
                    number,
                    {
                        "record_id": key,
                        "family_id": person[1] if person else None,
                        "person_id": person[0] if person else None,
                        "subject_iin_hash": iin_hash,
                        "institution_id": institution,
                        "submitted_by": None if self.historical else self.principal.id,
                        "event_date": r.body.event_date,
                        # Live: known from the moment the service stores it (server clock).
                        "knowledge_date": r.knowledge_date if self.historical else self.today,
                        "created_at": now,
                        "historical": self.historical,
                        "import_id": self.import_id,
                        **content,
                    },
                )
            )
        unique, repeated, numbers = self._unique(keyed)
        errors += repeated
        found, stored_errors = self._existing(
            row_type, row_type.record_id, [k for k, _, _ in unique], numbers
        )
        errors += stored_errors
        if errors:
            return errors
        fresh = [row for key, _, row in unique if key not in found]
        self.counts.already_stored += len(unique) - len(fresh)
        if fresh:
            insert_rows(self.session, row_type, fresh)
        self.counts.stored += len(fresh)
        if self.kind is ImportKind.police_signal and not self.historical:
            self._alerts(fresh, persons)
        return []

    def _persons(self, hashes: list[str]) -> dict[str, tuple[str, str, str]]:
        found: dict[str, tuple[str, str, str]] = {}
        if hashes:
            query = (
                select(Person.iin_hash, Person.person_id, Person.family_id, Family.district)
                .join(Family, Family.family_id == Person.family_id)
                .where(among(Person.iin_hash, hashes, self.session))
            )
            for iin_hash, person_id, family_id, district in self.session.execute(query):
                found[iin_hash] = (person_id, family_id, district)
        return found

    def _alerts(
        self, fresh: list[dict[str, Any]], persons: dict[str, tuple[str, str, str]]
    ) -> None:
        """A live police signal of an alert kind about a known family raises an alert, as a
        single submission does."""
        for row in fresh:
            if PoliceKind(row["kind"]) not in ALERT_KINDS or row["family_id"] is None:
                continue
            alert = Alert(
                record_id=row["record_id"],
                family_id=row["family_id"],
                district=persons[row["subject_iin_hash"]][2],
                kind=row["kind"],
                event_date=row["event_date"],
            )
            self.session.add(alert)
            self.session.flush()
            self.counts.alert_ids.append(alert.id)


class ContractWriter(Writer):
    """Historical rows of the Parquet contract: ids, families and persons kept as they are."""

    def write(self, rows: Sequence[tuple[int, Any]]) -> list[RowError]:
        if self.kind is ImportKind.outcomes:
            return self._outcomes(rows)
        row_type = _CONTRACT_ROWS[self.kind]
        errors = self._references(rows)
        now = utcnow()
        keyed = []
        for number, r in rows:
            data = r.model_dump()
            if "forms" in data:
                data["forms"] = ",".join(str(f) for f in data["forms"])
            if "kind" in data:
                data["kind"] = str(data["kind"])
            for enum_column in ("wast_tension", "wast_arguments"):
                if enum_column in data:
                    data[enum_column] = str(data[enum_column])
            # The source system submitted it; the uploader is the upload's (`imports.user_id`).
            data.update(
                subject_iin_hash=None, submitted_by=None, created_at=now, historical=True,
                import_id=self.import_id,
            )  # fmt: skip
            keyed.append((r.record_id, number, data))
        return errors + self._insert(row_type, keyed)

    def _insert(
        self, row_type: Any, keyed: list[tuple[str, int, dict[str, Any]]]
    ) -> list[RowError]:
        unique, errors, numbers = self._unique(keyed)
        found, stored_errors = self._existing(
            row_type, row_type.record_id, [k for k, _, _ in unique], numbers
        )
        errors += stored_errors
        if errors:
            return errors
        fresh = [row for key, _, row in unique if key not in found]
        self.counts.already_stored += len(unique) - len(fresh)
        if fresh:
            insert_rows(self.session, row_type, fresh)
        self.counts.stored += len(fresh)
        return []

    def _references(self, rows: Sequence[tuple[int, Any]]) -> list[RowError]:
        families = _present(self.session, Family.family_id, {r.family_id for _, r in rows})
        person_ids = {str(r.person_id) for _, r in rows if getattr(r, "person_id", None)}
        persons = _present(self.session, Person.person_id, person_ids)
        errors = []
        for number, r in rows:
            if r.family_id not in families:
                errors.append(
                    RowError(number, "family_id", "a family of the register", "an unknown id")
                )
            person_id = getattr(r, "person_id", None)
            if person_id is not None and person_id not in persons:
                errors.append(
                    RowError(number, "person_id", "a person of the register", "an unknown id")
                )
        return errors

    def _outcomes(self, rows: Sequence[tuple[int, OutcomeRecord]]) -> list[RowError]:
        errors = self._references(rows)
        keyed = []
        for number, r in rows:
            if r.kind.value in OUTCOME_POLICE_KINDS:
                # Stands for the police signal of the same event, which the loader then does
                # not count again (`service.storage.events`).
                self.counts.police_outcomes += 1
            data = r.model_dump()
            data["kind"] = r.kind.value
            data["import_id"] = self.import_id
            keyed.append((r.record_id, number, data))
        return errors + self._insert(OutcomeRow, keyed)


def _present(session: Session, column: Any, ids: set[str]) -> set[str]:
    if not ids:
        return set()
    return set(session.scalars(select(column).where(among(column, sorted(ids), session))))


class RegisterWriter(Writer):
    """The register extract (families, persons: insert new, update changed) and its monthly
    changes (new members, moves, family moves between districts, deaths)."""

    def write(self, rows: Sequence[tuple[int, Any]]) -> list[RowError]:
        if self.kind is ImportKind.families:
            return self._upsert(Family, Family.family_id, rows, "family_id")
        if self.kind is ImportKind.persons:
            return self._persons(rows)
        return self._changes(rows)

    def _upsert(
        self, table: Any, key: Any, rows: Sequence[tuple[int, Any]], key_name: str,
        values: list[dict[str, Any]] | None = None,
    ) -> list[RowError]:  # fmt: skip
        data = values or [r.model_dump(mode="python") for _, r in rows]
        for d in data:
            for k, v in list(d.items()):
                if hasattr(v, "value"):
                    d[k] = v.value
        ids = [d[key_name] for d in data]
        seen: dict[str, int] = {}
        errors = []
        for (number, _), id_ in zip(rows, ids, strict=True):
            if id_ in seen:
                errors.append(RowError(number, key_name, _REPEATED, f"a repeat of row {seen[id_]}"))
            seen[id_] = number
        if errors:
            return errors
        columns = [c for c in data[0] if c != key_name] if data else []
        stored: dict[str, tuple[Any, ...]] = {}
        if ids:
            for row in self.session.execute(
                select(key, *(getattr(table, c) for c in columns)).where(
                    among(key, ids, self.session)
                )
            ):
                stored[row[0]] = tuple(row[1:])
        fresh = [d for d in data if d[key_name] not in stored]
        changed = [
            d for d in data
            if d[key_name] in stored and tuple(d[c] for c in columns) != stored[d[key_name]]
        ]  # fmt: skip
        if fresh:
            insert_rows(self.session, table, fresh)
        for d in changed:
            self.session.execute(update(table).where(key == d[key_name]).values(**d))
        self.counts.stored += len(fresh)
        self.counts.updated += len(changed)
        self.counts.already_stored += len(data) - len(fresh) - len(changed)
        return []

    def _persons(self, rows: Sequence[tuple[int, PersonRecord]]) -> list[RowError]:
        families = _present(self.session, Family.family_id, {r.family_id for _, r in rows})
        values = []
        errors = []
        hashes: dict[str, tuple[int, str]] = {}
        for number, r in rows:
            if r.family_id not in families:
                errors.append(
                    RowError(number, "family_id", "a family of the register", "an unknown id")
                )
            data = r.model_dump(exclude={"iin"})
            data["role"] = r.role.value
            data["iin_hash"] = iin_hash = hash_iin(r.iin, key=self.iin_key)
            if iin_hash in hashes and hashes[iin_hash][1] != r.person_id:
                errors.append(
                    RowError(number, "iin", "an IIN not given to another person", "a repeat")
                )
            hashes[iin_hash] = (number, r.person_id)
            values.append(data)
        owners = self._iin_owners(sorted(hashes))
        for iin_hash, (number, person_id) in hashes.items():
            if owners.get(iin_hash, person_id) != person_id:
                errors.append(
                    RowError(number, "iin", "an IIN not held by another person of the register",
                             "the IIN of another person")
                )  # fmt: skip
        if errors:
            return errors
        return self._upsert(Person, Person.person_id, rows, "person_id", values)

    def _iin_owners(self, hashes: list[str]) -> dict[str, str]:
        if not hashes:
            return {}
        query = select(Person.iin_hash, Person.person_id).where(
            among(Person.iin_hash, hashes, self.session)
        )
        return {iin_hash: person_id for iin_hash, person_id in self.session.execute(query)}

    def _changes(self, rows: Sequence[tuple[int, RegisterChange]]) -> list[RowError]:
        errors: list[RowError] = []
        for number, r in rows:
            errors += self._change(number, r)
        return errors

    def _change(self, number: int, r: RegisterChange) -> list[RowError]:
        session = self.session
        if r.change == "family_move":
            family = session.get(Family, r.family_id)
            if family is None:
                return [RowError(number, "family_id", "a family of the register", "an unknown id")]
            if family.district == r.district:
                self.counts.already_stored += 1
            else:
                family.district = str(r.district)
                self.counts.updated += 1
            return []
        person = session.get(Person, r.person_id)
        if r.change == "new_member":
            if session.get(Family, r.family_id) is None:
                return [RowError(number, "family_id", "a family of the register", "an unknown id")]
            iin_hash = hash_iin(str(r.iin), key=self.iin_key)
            owner = session.scalar(select(Person.person_id).where(Person.iin_hash == iin_hash))
            if owner is not None and owner != r.person_id:
                return [RowError(number, "iin", "an IIN not held by another person", "a repeat")]
            if person is not None:
                self.counts.already_stored += 1
                return []
            session.add(
                Person(
                    person_id=r.person_id, family_id=r.family_id,
                    role=r.role.value if r.role else "", sex=str(r.sex),
                    birth_year=int(r.birth_year or 0), full_name=str(r.full_name),
                    iin_hash=iin_hash,
                )
            )  # fmt: skip
            session.flush()
            self.counts.stored += 1
            return []
        if person is None:
            return [RowError(number, "person_id", "a person of the register", "an unknown id")]
        if r.change == "move":
            if session.get(Family, r.family_id) is None:
                return [RowError(number, "family_id", "a family of the register", "an unknown id")]
            if person.family_id == r.family_id:
                self.counts.already_stored += 1
            else:
                person.family_id = str(r.family_id)
                self.counts.updated += 1
            return []
        # death: the person stays (their records are history); the date is kept
        if person.died_on == r.date:
            self.counts.already_stored += 1
        else:
            person.died_on = r.date
            self.counts.updated += 1
        session.flush()
        return []


def writer_for(kind: ImportKind) -> type[Writer]:
    from service.imports.kinds import CONTRACT_KINDS, LIVE_KINDS

    if kind in LIVE_KINDS:
        return LiveWriter
    if kind in CONTRACT_KINDS:
        return ContractWriter
    return RegisterWriter
