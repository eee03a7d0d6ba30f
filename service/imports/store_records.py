"""Writers of record rows: live kinds about subjects identified by their IIN, and historical
rows of the Parquet contract (see `service.imports.store` for what they share)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import select

from features.contracts import ALERT_KINDS, OUTCOME_POLICE_KINDS, PoliceKind
from service.auth.roles import UserRole
from service.imports.kinds import ImportKind
from service.imports.store import Writer, among, iin_hasher, present, unknown_id
from service.imports.validate import LiveRow, OutcomeRecord, RowError
from service.records.kinds import RECORD_TYPES, content_columns
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
            content = content_columns(r.body)
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
        fresh = self._store_new(row_type, keyed, errors)
        if errors:
            return errors
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
        self._store_new(row_type, keyed, errors)
        return errors

    def _references(self, rows: Sequence[tuple[int, Any]]) -> list[RowError]:
        families = present(self.session, Family.family_id, {r.family_id for _, r in rows})
        person_ids = {str(r.person_id) for _, r in rows if getattr(r, "person_id", None)}
        persons = present(self.session, Person.person_id, person_ids)
        errors = []
        for number, r in rows:
            if r.family_id not in families:
                errors.append(unknown_id(number, "family_id"))
            person_id = getattr(r, "person_id", None)
            if person_id is not None and person_id not in persons:
                errors.append(unknown_id(number, "person_id"))
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
        self._store_new(OutcomeRow, keyed, errors)
        return errors
