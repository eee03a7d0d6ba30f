"""The person of a subject-access request: found and checked first (unknown: 404; a family
outside the council's district: 403), and whose records the request covers."""

from __future__ import annotations

import datetime as dt
from typing import Final

from fastapi import HTTPException, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from features.contracts import Role
from service.auth.roles import Principal, UserRole
from service.errors import NotFoundError
from service.storage.tables import CaseMeasure, Family, Person

#: A child's records go with an adult's request only while the child is under this age.
ADULT_AGE: Final = 18
OUTSIDE_DISTRICT: Final = (
    "person_id: the person's family is outside this council's district; an export, a dispute "
    "or an explanation for a person is issued only by the council of the family's own district"
)


def today_utc() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def person_in_scope(session: Session, user: Principal, person_id: str) -> tuple[Person, Family]:
    """The person and their family (404 if unknown), once `user` is the council of the
    family's district (403 with a clear message if not: auditors included, who never see
    names)."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFoundError("person_id: no such person")
    family = session.get(Family, person.family_id)
    if family is None:  # a foreign key guarantees it; kept for the type checker
        raise NotFoundError("person_id: no such person")
    if user.role is not UserRole.council or user.district != family.district:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=OUTSIDE_DISTRICT)
    return person, family


def is_minor_child(person: Person, *, today: dt.date) -> bool:
    """A child of the household certainly under 18 all through `today`'s year.

    The register keeps the birth year only: a child who turns 18 this year may be 18 already,
    so their records no longer go with a parent's request (privacy errs towards the child)."""
    return person.role == Role.child and today.year - person.birth_year < ADULT_AGE


def is_named_aggressor(session: Session, person: Person) -> bool:
    """A case measure (of any case, open or closed) is aimed at `person` as the aggressor."""
    found = session.scalar(
        select(CaseMeasure.id)
        .where(CaseMeasure.person_id == person.person_id, CaseMeasure.target == "aggressor")
        .limit(1)
    )
    return found is not None


def covered_persons(
    session: Session, person: Person, *, today: dt.date, children: bool = True
) -> list[Person]:
    """The persons a request of `person` covers: the person and, when the person is an adult
    and `children` is true, the household's children under 18. Never another adult, never an
    adult child, and no child at all when a case measure is aimed at the person as the
    aggressor."""
    covered = [person]
    if children and person.role == Role.adult and not is_named_aggressor(session, person):
        rows = session.scalars(
            select(Person)
            .where(Person.family_id == person.family_id, Person.person_id != person.person_id)
            .order_by(Person.person_id)
        )
        covered += [p for p in rows if is_minor_child(p, today=today)]
    return covered
