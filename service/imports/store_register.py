"""The writer of the register: the extract (families, persons: insert new, update changed) and
its monthly changes (see `service.imports.store` for what the writers share)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update

from service.auth.security import hash_iin
from service.imports.kinds import ImportKind
from service.imports.store import REPEATED, Writer, among, insert_rows, present, unknown_id
from service.imports.validate import PersonRecord, RegisterChange, RowError
from service.storage.tables import Family, Person


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
                errors.append(RowError(number, key_name, REPEATED, f"a repeat of row {seen[id_]}"))
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
        families = present(self.session, Family.family_id, {r.family_id for _, r in rows})
        values = []
        errors = []
        hashes: dict[str, tuple[int, str]] = {}
        for number, r in rows:
            if r.family_id not in families:
                errors.append(unknown_id(number, "family_id"))
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
                return [unknown_id(number, "family_id")]
            self._set(family, "district", str(r.district))
            return []
        person = session.get(Person, r.person_id)
        if r.change == "new_member":
            if session.get(Family, r.family_id) is None:
                return [unknown_id(number, "family_id")]
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
            return [unknown_id(number, "person_id")]
        if r.change == "move":
            if session.get(Family, r.family_id) is None:
                return [unknown_id(number, "family_id")]
            self._set(person, "family_id", str(r.family_id))
            return []
        # death: the person stays (their records are history); the date is kept
        self._set(person, "died_on", r.date)
        session.flush()
        return []

    def _set(self, row: Family | Person, name: str, value: Any) -> None:
        """`row.name = value`, counted as an update, or as already stored when it holds it."""
        if getattr(row, name) == value:
            self.counts.already_stored += 1
        else:
            setattr(row, name, value)
            self.counts.updated += 1
