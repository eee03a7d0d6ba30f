"""Administration functions: users, capacities, linking records to the registry."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service.errors import ConflictError, FieldError, NotFoundError
from service.intake import RECORD_TYPES
from service.roles import UserRole
from service.schemas import RelinkRead, UnlinkedPage, UnlinkedRead, UserCreate, UserRead
from service.security import hash_password
from service.tables import DistrictSetting, Person, User

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


def create_user(session: Session, body: UserCreate) -> User:
    """Add a user with an argon2 password hash (flushes; the caller commits)."""
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
    session.add(user)
    session.flush()
    return user


def _account(session: Session, user_id: int) -> User:
    account = session.get(User, user_id)
    if account is None:
        raise NotFoundError(f"user_id: no user {user_id}")
    return account


def disable_user(session: Session, user_id: int, *, by: int | None = None) -> User:
    """Mark a user inactive (flushes; the caller commits). Their tokens stop working at once:
    the current-user check reads `active`. `by` is the acting admin, who may not disable
    themselves (that would lock out the last admin)."""
    if by is not None and by == user_id:
        raise ConflictError("user_id: an administrator cannot disable their own account")
    account = _account(session, user_id)
    account.active = False
    session.flush()
    return account


def reset_password(session: Session, user_id: int) -> tuple[User, str]:
    """Give a user a new random one-time password (flushes; the caller commits). Returns the
    user and the password, which is stored only as an argon2 hash: show it once."""
    account = _account(session, user_id)
    password = secrets.token_urlsafe(12)
    account.password_hash = hash_password(password)
    session.flush()
    return account, password


def set_capacity(session: Session, district: str, capacity: float) -> None:
    setting = session.get(DistrictSetting, district)
    if setting is None:
        session.add(DistrictSetting(district=district, capacity=capacity))
    else:
        setting.capacity = capacity
    session.flush()


def unlinked(session: Session, *, limit: int = 100) -> UnlinkedPage:
    """Unlinked records, newest first, without content or subject."""
    total = 0
    records: list[UnlinkedRead] = []
    for record_type, (_schema, row_type, _prefix) in RECORD_TYPES.items():
        total += int(
            session.scalar(
                select(func.count()).select_from(row_type).where(row_type.family_id.is_(None))
            )
            or 0
        )
        for row in session.scalars(
            select(row_type)
            .where(row_type.family_id.is_(None))
            .order_by(row_type.knowledge_date.desc())
            .limit(limit)
        ):
            records.append(
                UnlinkedRead(
                    record_type=record_type,
                    record_id=row.record_id,
                    institution_id=row.institution_id,
                    knowledge_date=row.knowledge_date,
                )
            )
    records.sort(key=lambda r: (r.knowledge_date, r.record_id), reverse=True)
    return UnlinkedPage(total=total, records=records[:limit])


def relink(session: Session) -> RelinkRead:
    """Attach unlinked records to persons now in the registry (same IIN hash)."""
    linked = 0
    remaining = 0
    for _schema, row_type, _prefix in RECORD_TYPES.values():
        matches = session.execute(
            select(row_type.record_id, Person.person_id, Person.family_id)
            .join(Person, Person.iin_hash == row_type.subject_iin_hash)
            .where(row_type.family_id.is_(None))
        ).all()
        for record_id, person_id, family_id in matches:
            session.execute(
                update(row_type)
                .where(row_type.record_id == record_id)
                .values(person_id=person_id, family_id=family_id)
            )
        linked += len(matches)
        remaining += int(
            session.scalar(
                select(func.count()).select_from(row_type).where(row_type.family_id.is_(None))
            )
            or 0
        )
    return RelinkRead(linked=linked, still_unlinked=remaining)
