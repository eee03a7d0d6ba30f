"""`POST /v1/token` (the OAuth2 password flow), and the signed-in user's own account: changing
the password and signing out (`service.auth.sessions`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from service.auth import sessions
from service.auth.access import AccountHolder, get_account_holder
from service.auth.login import log_in
from service.auth.schemas import PasswordChange, TokenRead
from service.deps import SessionDep, StateDep, WriteSessionDep
from service.openapi import error_responses

router = APIRouter(tags=["auth"])
#: Every role, also with a token that is only good for changing the password.
account_router = APIRouter(tags=["auth"], dependencies=[Depends(get_account_holder)])


@router.post("/v1/token", response_model=TokenRead, responses=error_responses(401, 429))
def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    state: StateDep,
    session: SessionDep,
) -> TokenRead:
    """Exchange a username and password (form fields, OAuth2 password flow) for a bearer token.

    The token is a JWT that expires after `PATRONAGE_TOKEN_MINUTES` (default 60). After three
    failed attempts for the same username from the same client, ten for the same username from
    any client, or thirty for any usernames from the same client, each further attempt must
    wait exponentially longer (`429` with `Retry-After`). The client is the connecting address
    (`X-Forwarded-For` counts only from a proxy in `PATRONAGE_TRUSTED_PROXIES`).
    """
    client = request.client.host if request.client else "unknown"
    return log_in(state, session, username=form.username, password=form.password, client=client)


@account_router.post(
    "/v1/me/password", response_model=TokenRead, responses=error_responses(409, 429)
)
def change_password(
    request: Request,
    body: PasswordChange,
    user: AccountHolder,
    state: StateDep,
    session: SessionDep,
) -> TokenRead:
    """Change your password. Every token issued to you before (on any device, and the pages'
    cookie) stops working; the answer carries a fresh token.

    After an administrator's reset, sign in with the one-time password: that token is good only
    for this route, and `current_password` is not needed (the one-time password was spent on
    that sign-in). Otherwise `current_password` is required, and wrong guesses are throttled
    like sign-ins (`429`)."""
    client = request.client.host if request.client else "unknown"
    return sessions.change_password(state, session, user, body, client=client)


@account_router.post("/v1/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(user: AccountHolder, session: WriteSessionDep) -> Response:
    """Sign out everywhere: every token and page cookie issued to you stops working at once."""
    sessions.log_out(session, user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
