"""The family of a request, found and checked first by every family-level call: unknown (404)
or outside the user's district scope (403)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.auth.access import district_scope
from service.auth.roles import Principal
from service.errors import NotFoundError
from service.storage.tables import Family


def get_family(session: Session, family_id: str) -> Family:
    """The family or `NotFoundError` (404)."""
    family = session.get(Family, family_id)
    if family is None:
        raise NotFoundError(f"family_id: no family {family_id!r}")
    return family


def family_in_scope(session: Session, user: Principal, family_id: str) -> Family:
    """The family (404 if unknown), once `user` may see its district's data (403 if not)."""
    family = get_family(session, family_id)
    district_scope(user, family.district)
    return family
