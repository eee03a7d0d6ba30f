"""The page that changes the signed-in user's password (`service.auth.sessions.change_password`,
as `POST /v1/me/password` does).

A user who signed in with a one-time password is sent here from every other page (`UIRoute`)
and needs no current password; anyone else gives it. A change ends every earlier session of the
user (token version) and signs this browser in again with a fresh cookie.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from service.auth.access import TOKEN_COOKIE
from service.auth.schemas import PasswordChange
from service.auth.sessions import change_password, must_change_password
from service.deps import SessionDep, StateDep
from service.errors import ConflictError, FieldError, TooManyRequestsError
from service.state import ServiceState
from service.ui import i18n
from service.ui.auth import AccountHolderPage, secure_cookies
from service.ui.rendering import render, request_lang
from service.ui.routing import UIRoute

router = APIRouter(route_class=UIRoute)


def set_session_cookie(
    request: Request, response: Response, state: ServiceState, token: str
) -> None:
    """The page session's cookie, as the sign-in page sets it."""
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        max_age=state.settings.token_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request, state),
        path="/",
    )


def _form(
    request: Request, *, forced: bool, error: str | None = None, status_code: int = 200
) -> Response:
    return render(
        request,
        "password.html.j2",
        {"forced": forced, "error": error},
        status_code=status_code,
    )


@router.get("/password", response_class=HTMLResponse)
def password_page(request: Request, user: AccountHolderPage, session: SessionDep) -> Response:
    """The form: new password twice, and the current one unless a one-time password was used."""
    return _form(request, forced=must_change_password(session, user.id))


@router.post("/password", response_class=HTMLResponse)
def password_submit(
    request: Request,
    user: AccountHolderPage,
    state: StateDep,
    session: SessionDep,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    new_password_again: Annotated[str, Form()] = "",
) -> Response:
    """Change the password (the CSRF token is checked by the pages' router) and sign in again."""
    _ = i18n.catalog(request_lang(request)).gettext
    forced = must_change_password(session, user.id)
    session.rollback()
    if new_password != new_password_again:
        return _form(
            request, forced=forced, error=_("The two new passwords differ."), status_code=422
        )
    try:
        body = PasswordChange(
            current_password=None if forced else current_password, new_password=new_password
        )
    except ValidationError:
        error = _("The new password must have between 12 and 256 characters.")
        return _form(request, forced=forced, error=error, status_code=422)
    client = request.client.host if request.client else "unknown"
    try:
        token = change_password(state, session, user, body, client=client)
    except FieldError as exc:
        error = (
            _("The current password is not correct.")
            if "current_password" in exc.loc
            else _("The new password must differ from the current one.")
        )
        return _form(request, forced=forced, error=error, status_code=exc.status_code)
    except TooManyRequestsError as exc:
        error = _("Too many failed attempts: please wait before trying again.")
        return _form(request, forced=forced, error=error, status_code=exc.status_code)
    except ConflictError as exc:
        error = _("Your password was changed meanwhile: please sign in again.")
        return _form(request, forced=forced, error=error, status_code=exc.status_code)
    response = RedirectResponse("/ui/", status_code=status.HTTP_303_SEE_OTHER)
    set_session_cookie(request, response, state, token.access_token)
    return response
