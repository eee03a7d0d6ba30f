"""Administration: users, list generation, district capacity, linking unlinked records.

The admin sees no family data: unlinked records are shown without content or subject.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service import admin as admin_ops
from service.deps import CurrentUser, SessionDep, StateDep, WriteSessionDep, require_role
from service.errors import ConflictError, ServiceError
from service.lists import generate_lists
from service.roles import UserRole
from service.schemas import (
    CapacityRead,
    CapacityUpdate,
    ListsCreate,
    ListsCreated,
    RelinkRead,
    SnapshotRead,
    UnlinkedPage,
    UserCreate,
    UserRead,
)
from service.tables import User

router = APIRouter(tags=["admin"], dependencies=[Depends(require_role(UserRole.admin))])


class NoModelError(ServiceError):
    status_code = status.HTTP_409_CONFLICT


@router.post("/v1/lists", status_code=status.HTTP_201_CREATED, response_model=ListsCreated)
def create_lists(body: ListsCreate, state: StateDep, session: WriteSessionDep) -> ListsCreated:
    """Build the lists of `month` for `districts` (null: all): features as of the 1st of the
    month from the database, scores from the champion, explanations, and one immutable snapshot
    per district with the model version and a data fingerprint. Districts that already have a
    list for that month are reported with `created: false` and left unchanged."""
    champion = state.models.champion()
    if champion is None:
        raise NoModelError("no champion model is registered: train and promote one first")
    results = generate_lists(
        state.engine, session, champion, month=body.month, districts=body.districts
    )
    return ListsCreated(snapshots=[SnapshotRead(**r.__dict__) for r in results])


@router.get("/v1/admin/users", response_model=list[UserRead])
def list_users(session: SessionDep) -> list[UserRead]:
    """Every user with role and scope (never password hashes)."""
    return [admin_ops.user_read(u) for u in session.scalars(select(User).order_by(User.id))]


@router.post("/v1/admin/users", status_code=status.HTTP_201_CREATED, response_model=UserRead)
def create_user(body: UserCreate, session: WriteSessionDep) -> UserRead:
    """Create a user. Council, school, clinic and police users need a district; school, clinic
    and police users also need an institution."""
    try:
        user = admin_ops.create_user(session, body)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ConflictError(f"username: {body.username!r} is taken") from None
    return admin_ops.user_read(user)


class PasswordReset(BaseModel):
    """A new one-time password: shown in this answer only, stored as an argon2 hash."""

    user: UserRead
    one_time_password: str


@router.post("/v1/admin/users/{user_id}/disable", response_model=UserRead)
def disable_user(
    user_id: Annotated[int, Path(ge=1)], user: CurrentUser, session: WriteSessionDep
) -> UserRead:
    """Disable a user: their tokens stop working at once. An admin cannot disable themselves."""
    account = admin_ops.disable_user(session, user_id, by=user.id)
    session.commit()
    return admin_ops.user_read(account)


@router.post("/v1/admin/users/{user_id}/reset-password", response_model=PasswordReset)
def reset_password(user_id: Annotated[int, Path(ge=1)], session: WriteSessionDep) -> PasswordReset:
    """Give a user a new random one-time password, returned once."""
    account, password = admin_ops.reset_password(session, user_id)
    session.commit()
    return PasswordReset(user=admin_ops.user_read(account), one_time_password=password)


@router.put("/v1/admin/districts/{district}/capacity", response_model=CapacityRead)
def set_capacity(
    district: Annotated[str, Path()], body: CapacityUpdate, session: WriteSessionDep
) -> CapacityRead:
    """Set the council's capacity: the share of the district's families its list holds (default
    0.05). Applies to lists generated from now on."""
    admin_ops.set_capacity(session, district, body.capacity)
    session.commit()
    return CapacityRead(district=district, capacity=body.capacity)


@router.get("/v1/admin/unlinked", response_model=UnlinkedPage)
def get_unlinked(
    session: SessionDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> UnlinkedPage:
    """Records whose subject the registry did not know when they arrived (no content shown)."""
    return admin_ops.unlinked(session, limit=limit)


@router.post("/v1/admin/unlinked/relink", response_model=RelinkRead)
def relink(session: WriteSessionDep) -> RelinkRead:
    """Link unlinked records whose subject is now in the registry (matched by IIN hash)."""
    result = admin_ops.relink(session)
    session.commit()
    return result
