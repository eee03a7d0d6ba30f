"""Signing in: a username and password exchanged for an access token, behind the throttle.

The token route and the sign-in page both call `log_in`, so both count failed attempts the same
way and answer a throttled client alike.
"""

from __future__ import annotations

import functools
import logging
import math
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth.schemas import TokenRead
from service.auth.security import hash_password, verify_password
from service.auth.sessions import issue_token, use_one_time_password
from service.errors import TooManyRequestsError, UnauthorizedError
from service.state import ServiceState
from service.storage.tables import User

logger = logging.getLogger(__name__)


@functools.cache
def _dummy_hash() -> str:
    """A real hash of a random password: verifying against it when the user does not exist
    costs the same time, so usernames cannot be probed by timing."""
    return hash_password(secrets.token_urlsafe(16))


def log_in(
    state: ServiceState, session: Session, *, username: str, password: str, client: str
) -> TokenRead:
    """A token for `username` when `password` is right and the user active.

    Raises `TooManyRequestsError` (429, with `Retry-After`) while `client` must wait after
    failed attempts, and `UnauthorizedError` (401) for a wrong name or password or a disabled
    user (one message for all three, so accounts cannot be probed)."""
    # Counted as a failure before the slow check, so parallel guesses are counted too.
    wait = state.throttle.attempt(username, client)
    if wait > 0:
        raise TooManyRequestsError(
            "too many failed logins: wait before trying again",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    row = session.execute(
        select(
            User.id,
            User.username,
            User.role,
            User.active,
            User.password_hash,
            User.token_version,
            User.password_change_required,
        ).where(User.username == username)
    ).first()
    session.rollback()  # end the transaction before the deliberately slow hash check
    valid = verify_password(row.password_hash if row else _dummy_hash(), password)
    if valid and row is not None and row.active and row.password_change_required:
        # A one-time password signs in once (`service.auth.sessions`).
        valid = use_one_time_password(state, user_id=row.id, password_hash=row.password_hash)
    if row is None or not valid or not row.active:
        logger.info("failed login from %s", client)
        raise UnauthorizedError(
            "incorrect username or password", headers={"WWW-Authenticate": "Bearer"}
        )
    state.throttle.succeeded(username, client)
    return issue_token(
        state,
        user_id=row.id,
        username=row.username,
        role=row.role,
        version=row.token_version,
        password_change=row.password_change_required,
    )
