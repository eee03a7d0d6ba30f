"""User accounts: create, list, disable, reset a password. Each write commits before it returns."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.admin.schemas import UserCreate, UserRead
from service.auth.roles import UserRole
from service.auth.security import hash_password
from service.auth.sessions import revoke_tokens
from service.errors import ConflictError, FieldError, NotFoundError
from service.storage.tables import Family, User
from service.storage.transaction import transaction

_NEEDS_DISTRICT = (
    UserRole.council, UserRole.school, UserRole.clinic, UserRole.police, UserRole.guardianship
)  # fmt: skip
_NEEDS_INSTITUTION = (UserRole.school, UserRole.clinic, UserRole.police, UserRole.guardianship)


def user_read(user: User) -> UserRead:
    """The account as the API shows it: `UserRead` names the columns it copies (never the
    password hash)."""
    return UserRead.model_validate(user, from_attributes=True)


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
    _check_region(session, body)
    user = User(
        username=body.username,
        password_hash=hash_password(body.password),
        role=body.role.value,
        district=body.district,
        institution_id=body.institution_id,
        region=body.region,
        active=True,
    )
    try:
        with transaction(session):
            session.add(user)
            session.flush()
    except IntegrityError:
        raise ConflictError("username: this username is taken") from None
    return user


def registry_regions(session: Session) -> list[str]:
    """The regions of the registry's families, sorted (what a regional user may be bound to)."""
    return list(session.scalars(select(Family.region).distinct().order_by(Family.region)))


def _check_region(session: Session, body: UserCreate) -> None:
    """A regional user needs a region of the registry and no district; the ministry has
    neither; no other role has a region (`FieldError` naming the field otherwise)."""
    if body.role is UserRole.regional:
        if not body.region:
            raise FieldError(("body", "region"), "region: expected a region for role regional")
        known = session.scalar(select(Family.region).where(Family.region == body.region).limit(1))
        if known is None:  # the answer never repeats what came
            raise FieldError(
                ("body", "region"), "region: expected a region of the registry, got another"
            )
    elif body.region is not None:
        raise FieldError(
            ("body", "region"), f"region: expected none for role {body.role} (regional only)"
        )
    if body.role in (UserRole.regional, UserRole.ministry) and body.district:
        raise FieldError(("body", "district"), f"district: expected none for role {body.role}")


def _account(session: Session, user_id: int) -> User:
    account = session.get(User, user_id)
    if account is None:
        raise NotFoundError("user_id: no such user")
    return account


def disable_user(session: Session, user_id: int, *, by: int | None = None) -> User:
    """Mark a user inactive and end their sessions, and commit. Their tokens and cookies stop
    working at once (the current-user check reads `active` and the token version, which this
    raises, so enabling the account again does not revive them). `by` is the acting admin, who
    may not disable themselves (that would lock out the last admin)."""
    if by is not None and by == user_id:
        raise ConflictError("user_id: an administrator cannot disable their own account")
    with transaction(session):
        account = _account(session, user_id)
        account.active = False
        revoke_tokens(session, user_id)
    return account


def reset_password(session: Session, user_id: int) -> tuple[User, str]:
    """Give a user a new random one-time password and end their sessions, and commit. Returns
    the user and the password, which is stored only as an argon2 hash: show it once. Every token
    and cookie issued to the user before stops working; the one-time password signs in once,
    and only to choose a new password (`service.auth.sessions`)."""
    password = secrets.token_urlsafe(12)
    password_hash = hash_password(password)  # the slow hash before the write lock
    with transaction(session):
        account = _account(session, user_id)
        account.password_hash = password_hash
        account.password_change_required = True
        revoke_tokens(session, user_id)
    return account, password
