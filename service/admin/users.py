"""User accounts: create, list, disable, reset a password. Each write commits before it returns."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.admin.schemas import UserCreate, UserRead
from service.auth.roles import UserRole
from service.auth.security import hash_password
from service.errors import ConflictError, FieldError, NotFoundError
from service.storage.tables import User
from service.storage.transaction import transaction

_NEEDS_DISTRICT = (UserRole.council, UserRole.school, UserRole.clinic, UserRole.police)
_NEEDS_INSTITUTION = (UserRole.school, UserRole.clinic, UserRole.police)


def user_read(user: User) -> UserRead:
    return UserRead(
        id=user.id,
        username=user.username,
        role=user.role,
        district=user.district,
        institution_id=user.institution_id,
        active=user.active,
    )


def list_users(session: Session) -> list[UserRead]:
    """Every user with role and scope (never password hashes), by id."""
    return [user_read(u) for u in session.scalars(select(User).order_by(User.id))]


def create_user(session: Session, body: UserCreate) -> User:
    """Add a user with an argon2 password hash, and commit. `ConflictError` (409) when the
    username is taken, `FieldError` (422) when the role needs a district or institution."""
    if body.role in _NEEDS_DISTRICT and not body.district:
        raise FieldError(
            ("body", "district"), f"district: expected a district for role {body.role}"
        )
    if body.role in _NEEDS_INSTITUTION and not body.institution_id:
        raise FieldError(
            ("body", "institution_id"),
            f"institution_id: expected an institution for role {body.role}",
        )
    user = User(
        username=body.username,
        password_hash=hash_password(body.password),
        role=body.role.value,
        district=body.district,
        institution_id=body.institution_id,
        active=True,
    )
    try:
        with transaction(session):
            session.add(user)
            session.flush()
    except IntegrityError:
        raise ConflictError(f"username: {body.username!r} is taken") from None
    return user


def _account(session: Session, user_id: int) -> User:
    account = session.get(User, user_id)
    if account is None:
        raise NotFoundError(f"user_id: no user {user_id}")
    return account


def disable_user(session: Session, user_id: int, *, by: int | None = None) -> User:
    """Mark a user inactive, and commit. Their tokens stop working at once: the current-user
    check reads `active`. `by` is the acting admin, who may not disable themselves (that would
    lock out the last admin)."""
    if by is not None and by == user_id:
        raise ConflictError("user_id: an administrator cannot disable their own account")
    with transaction(session):
        account = _account(session, user_id)
        account.active = False
    return account


def reset_password(session: Session, user_id: int) -> tuple[User, str]:
    """Give a user a new random one-time password, and commit. Returns the user and the
    password, which is stored only as an argon2 hash: show it once."""
    password = secrets.token_urlsafe(12)
    with transaction(session):
        account = _account(session, user_id)
        account.password_hash = hash_password(password)
    return account, password
