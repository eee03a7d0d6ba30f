"""Sessions that end with their reason: token versions, signing out, one-time passwords.

An access token (and the page cookie, which holds one) is a signed JWT that the server does not
store, so it cannot be deleted. Instead every user has a `token_version`, copied into each token
issued; `service.auth.access` refuses a token whose version is not the user's current one. A
password reset, a disable and a sign-out raise the version, so every token and cookie issued
before stops working at once, on every device.

A reset gives a one-time password and sets `password_change_required`. Signing in with it
succeeds once: the sign-in replaces its hash with a value no password matches (a second sign-in
with the same one-time password fails like a wrong password) and issues a token that is good
only for changing the password (`POST /v1/me/password`, the page `/ui/password`). Changing it
clears the flag, raises the version and issues a fresh token.
"""

from __future__ import annotations

import math

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.auth.roles import Principal
from service.auth.schemas import PasswordChange, TokenRead
from service.auth.security import create_access_token, hash_password, verify_password
from service.errors import ConflictError, FieldError, TooManyRequestsError
from service.state import ServiceState
from service.storage.tables import User
from service.storage.transaction import transaction

#: What a used one-time password's hash becomes: not an argon2 hash, so nothing verifies.
USED_ONE_TIME_PASSWORD = "!used-one-time-password"


def revoke_tokens(session: Session, user_id: int) -> None:
    """Raise the user's token version in the caller's transaction: once it commits, every token
    and cookie issued to the user before stops working."""
    session.execute(
        update(User).where(User.id == user_id).values(token_version=User.token_version + 1)
    )


def log_out(session: Session, user: Principal) -> None:
    """Sign `user` out everywhere (every token and cookie of theirs stops working), and commit."""
    with transaction(session):
        revoke_tokens(session, user.id)


def issue_token(
    state: ServiceState,
    *,
    user_id: int,
    username: str,
    role: str,
    version: int,
    password_change: bool = False,
) -> TokenRead:
    """A token for the user at token version `version` (`password_change`: good only for
    changing the password)."""
    token, expires = create_access_token(
        user_id=user_id,
        username=username,
        role=role,
        key=state.secrets.token_key,
        minutes=state.settings.token_minutes,
        version=version,
        password_change=password_change,
    )
    return TokenRead(
        access_token=token, expires_at=expires, password_change_required=password_change
    )


def use_one_time_password(state: ServiceState, *, user_id: int, password_hash: str) -> bool:
    """Spend a one-time password whose hash is `password_hash`: True for the one sign-in that
    spends it (compare-and-set, so two racing sign-ins cannot both succeed), else False."""
    with state.sessions() as session, transaction(session):
        result = session.execute(
            update(User)
            .where(
                User.id == user_id,
                User.password_hash == password_hash,
                User.password_change_required.is_(True),
            )
            .values(password_hash=USED_ONE_TIME_PASSWORD)
        )
    return bool(getattr(result, "rowcount", 0) == 1)


def change_password(
    state: ServiceState, session: Session, user: Principal, body: PasswordChange, *, client: str
) -> TokenRead:
    """Set the user's new password, end every earlier session, and return a fresh token.

    A user who must change their password (signed in with a one-time password) needs no current
    password: the one-time password was spent on that sign-in. Anyone else must give their
    current password, checked behind the login throttle (`TooManyRequestsError`, 429) so this
    route is no way around it; a wrong one is a `FieldError` (422). `session` only reads."""
    row = session.execute(
        select(User.password_hash, User.password_change_required).where(User.id == user.id)
    ).one()
    session.rollback()  # end the read before the deliberately slow hash check
    if not row.password_change_required:
        if body.current_password is None:
            raise FieldError(
                ("body", "current_password"),
                "current_password: expected your current password, got nothing",
            )
        wait = state.throttle.attempt(user.username, client)
        if wait > 0:
            raise TooManyRequestsError(
                "too many failed attempts: wait before trying again",
                headers={"Retry-After": str(math.ceil(wait))},
            )
        if not verify_password(row.password_hash, body.current_password):
            raise FieldError(
                ("body", "current_password"), "current_password: does not match your password"
            )
        state.throttle.succeeded(user.username, client)
        if body.new_password == body.current_password:
            raise FieldError(
                ("body", "new_password"),
                "new_password: expected a password different from the current one",
            )
    new_hash = hash_password(body.new_password)
    with state.sessions() as write, transaction(write):
        changed = write.execute(
            update(User)
            .where(User.id == user.id, User.password_hash == row.password_hash)
            .values(
                password_hash=new_hash,
                password_change_required=False,
                token_version=User.token_version + 1,
            )
        )
        if getattr(changed, "rowcount", 0) != 1:  # reset or changed meanwhile
            raise ConflictError("password: it was changed meanwhile; sign in again")
        version = write.scalar(select(User.token_version).where(User.id == user.id))
    assert version is not None
    return issue_token(
        state, user_id=user.id, username=user.username, role=user.role.value, version=version
    )


def must_change_password(session: Session, user_id: int) -> bool:
    """True while the user signed in with a one-time password and has not chosen a new one."""
    required = session.scalar(select(User.password_change_required).where(User.id == user_id))
    return bool(required)
