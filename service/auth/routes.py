"""`POST /v1/token`: the OAuth2 password flow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from service.auth.login import log_in
from service.auth.schemas import TokenRead
from service.deps import SessionDep, StateDep

router = APIRouter(tags=["auth"])


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
    return log_in(state, session, username=form.username, password=form.password, client=client)
