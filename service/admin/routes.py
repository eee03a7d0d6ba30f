"""Administration: users, district capacity, linking unlinked records.

The admin sees no family data: unlinked records are shown without content or subject.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from service.admin import districts, linking, users
from service.admin.schemas import (
    CapacityRead,
    CapacityUpdate,
    PasswordReset,
    RelinkRead,
    UnlinkedPage,
    UserCreate,
    UserRead,
)
from service.api_types import IdPath
from service.auth.access import CurrentUser, require_role
from service.auth.roles import UserRole
from service.deps import SessionDep, WriteSessionDep
from service.openapi import error_responses

router = APIRouter(tags=["admin"], dependencies=[Depends(require_role(UserRole.admin))])


@router.get("/v1/admin/users", response_model=list[UserRead])
def list_users(session: SessionDep) -> list[UserRead]:
    """Every user with role and scope (never password hashes)."""
    return users.list_users(session)


@router.post(
    "/v1/admin/users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses=error_responses(409),
)
def create_user(body: UserCreate, session: WriteSessionDep) -> UserRead:
    """Create a user. Council, school, clinic and police users need a district; school, clinic
    and police users also need an institution. A regional user needs a region of the registry
    (and has no district); the ministry has neither."""
    return users.user_read(users.create_user(session, body))


@router.post(
    "/v1/admin/users/{user_id}/disable", response_model=UserRead, responses=error_responses(409)
)
def disable_user(user_id: IdPath, user: CurrentUser, session: WriteSessionDep) -> UserRead:
    """Disable a user: their tokens stop working at once. An admin cannot disable themselves."""
    return users.user_read(users.disable_user(session, user_id, by=user.id))


@router.post("/v1/admin/users/{user_id}/reset-password", response_model=PasswordReset)
def reset_password(user_id: IdPath, session: WriteSessionDep) -> PasswordReset:
    """Give a user a new random one-time password, returned once."""
    account, password = users.reset_password(session, user_id)
    return PasswordReset(user=users.user_read(account), one_time_password=password)


@router.put("/v1/admin/districts/{district}/capacity", response_model=CapacityRead)
def set_capacity(
    district: Annotated[str, Path()], body: CapacityUpdate, session: WriteSessionDep
) -> CapacityRead:
    """Set the council's capacity: the share of the district's families its list holds (default
    0.05). Applies to lists generated from now on."""
    districts.set_capacity(session, district, body.capacity)
    return CapacityRead(district=district, capacity=body.capacity)


@router.get("/v1/admin/unlinked", response_model=UnlinkedPage)
def get_unlinked(
    session: SessionDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> UnlinkedPage:
    """Records whose subject the registry did not know when they arrived (no content shown)."""
    return linking.unlinked(session, limit=limit)


@router.post("/v1/admin/unlinked/relink", response_model=RelinkRead)
def relink(session: WriteSessionDep) -> RelinkRead:
    """Link unlinked records whose subject is now in the registry (matched by IIN hash)."""
    return linking.relink(session)
