"""`POST /v1/token`: the OAuth2 password flow."""

from __future__ import annotations

import functools
import logging
import math
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select

from service.deps import SessionDep, StateDep
from service.schemas import TokenRead
from service.security import create_access_token, hash_password, verify_password
from service.tables import User

logger = logging.getLogger(__name__)
router = APIRouter(tags=["auth"])


@functools.cache
def _dummy_hash() -> str:
    """A real hash of a random password: verifying against it when the user does not exist
    costs the same time, so usernames cannot be probed by timing."""
    return hash_password(secrets.token_urlsafe(16))


@router.post("/v1/token", response_model=TokenRead)
def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    state: StateDep,
    session: SessionDep,
) -> TokenRead:
    """Exchange a username and password (form fields, OAuth2 password flow) for a bearer token.

    The token is a JWT that expires after `PATRONAGE_TOKEN_MINUTES` (default 60). After three
    failed attempts for the same username from the same client, each further attempt must wait
    exponentially longer (`429` with `Retry-After`).
    """
    client = request.client.host if request.client else "unknown"
    # Counted as a failure before the slow check, so parallel guesses are counted too.
    wait = state.throttle.attempt(form.username, client)
    if wait > 0:
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail="too many failed logins: wait before trying again",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    row = session.execute(
        select(User.id, User.username, User.role, User.active, User.password_hash).where(
            User.username == form.username
        )
    ).first()
    session.rollback()  # end the transaction before the deliberately slow hash check
    valid = verify_password(row.password_hash if row else _dummy_hash(), form.password)
    if row is None or not valid or not row.active:
        logger.info("failed login from %s", client)
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="incorrect username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    state.throttle.succeeded(form.username, client)
    token, expires = create_access_token(
        user_id=row.id,
        username=row.username,
        role=row.role,
        key=state.secrets.token_key,
        minutes=state.settings.token_minutes,
    )
    return TokenRead(access_token=token, expires_at=expires)
