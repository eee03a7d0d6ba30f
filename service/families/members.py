"""The members of a family as the pages and the API show them (names only when allowed)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.families.schemas import PersonRead
from service.storage.tables import Person


def persons(session: Session, family_id: str, *, names: bool) -> list[PersonRead]:
    """The family's members by person id, with their names only when `names`."""
    rows = session.scalars(
        select(Person).where(Person.family_id == family_id).order_by(Person.person_id)
    )
    return [
        PersonRead(
            person_id=p.person_id,
            role=p.role,
            sex=p.sex,
            birth_year=p.birth_year,
            full_name=p.full_name if names else None,
        )
        for p in rows
    ]
