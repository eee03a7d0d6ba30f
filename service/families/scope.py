"""The family of a request, found and checked first by every family-level call: unknown (404)
or outside the user's district scope (403)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from service.audit import access_log
from service.auth.access import district_scope
from service.auth.roles import Principal
from service.errors import NotFoundError
from service.storage.tables import Family
from service.storage.transaction import transaction


def get_family(session: Session, family_id: str) -> Family:
    """The family or `NotFoundError` (404)."""
    family = session.get(Family, family_id)
    if family is None:
        raise NotFoundError("family_id: no such family")
    return family


def family_in_scope(session: Session, user: Principal, family_id: str) -> Family:
    """The family (404 if unknown), once `user` may see its district's data (403 if not)."""
    family = get_family(session, family_id)
    district_scope(user, family.district)
    return family


@contextmanager
def logged_family_write(
    session: Session,
    user: Principal,
    family_id: str,
    *,
    action: str,
    list_month: str | None = None,
) -> Iterator[Family]:
    """A write about one family (a decision, a correction): check the family and the user's
    district, let the block write, append the access-log entry `action`, and commit both
    together; a block that raises leaves neither."""
    with transaction(session):
        family = family_in_scope(session, user, family_id)
        yield family
        access_log.append(
            session,
            user=user,
            action=action,
            family_id=family_id,
            district=family.district,
            list_month=list_month,
        )
