"""Sign-in, sign-out and the start page (which sends each role to its own pages)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.auth.access import TOKEN_COOKIE
from service.auth.login import log_in
from service.auth.roles import UserRole
from service.auth.sessions import log_out
from service.deps import SessionDep, StateDep, WriteSessionDep
from service.errors import TooManyRequestsError, UnauthorizedError
from service.ui import i18n
from service.ui.auth import (
    AccountHolderPage,
    PagePrincipal,
    check_csrf,
    login_form_token,
    login_nonce,
    secure_cookies,
    set_login_cookie,
)
from service.ui.pages_records import home_context
from service.ui.rendering import render, request_lang
from service.ui.routing import UIRoute

router = APIRouter(route_class=UIRoute)


def _safe_next(target: str) -> str:
    """Only paths inside the UI: a sign-in link must not send anyone to another site."""
    return target if target.startswith("/ui/") and not target.startswith("//") else "/ui/"


def _login_form(
    request: Request, state: StateDep, context: dict[str, object], *, status_code: int = 200
) -> Response:
    """The sign-in form with its CSRF token (and the cookie the token is derived from)."""
    nonce = login_nonce(request)
    request.state.csrf_token = login_form_token(nonce, state)
    response = render(request, "login.html.j2", context, status_code=status_code)
    set_login_cookie(request, response, nonce, state)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, state: StateDep, next: str = "/ui/") -> Response:
    """The sign-in form."""
    return _login_form(request, state, {"next": _safe_next(next), "error": None, "username": ""})


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    state: StateDep,
    session: SessionDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/ui/",
) -> Response:
    """Check the password as the API's token route does (`service.auth.login.log_in`: same
    throttle, same rules) and keep the token in an HttpOnly, SameSite=Lax cookie (`Secure`
    over HTTPS). The form's CSRF token is checked before (`service.ui.auth.csrf_guard`)."""
    _ = i18n.catalog(request_lang(request)).gettext
    client = request.client.host if request.client else "unknown"
    try:
        token = log_in(state, session, username=username, password=password, client=client)
    except (TooManyRequestsError, UnauthorizedError) as exc:
        message = (
            _("Too many failed sign-ins: please wait before trying again.")
            if isinstance(exc, TooManyRequestsError)
            else _("The user name or password is not correct.")
        )
        return _login_form(
            request,
            state,
            {"next": _safe_next(next), "error": message, "username": username},
            status_code=exc.status_code,
        )
    # A one-time password's session is good only for choosing a new password.
    target = "/ui/password" if token.password_change_required else _safe_next(next)
    response = RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        TOKEN_COOKIE,
        token.access_token,
        max_age=state.settings.token_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request, state),
        path="/",
    )
    return response


@router.post("/logout")
def logout(
    request: Request,
    state: StateDep,
    user: AccountHolderPage,
    session: WriteSessionDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Sign out everywhere (`service.auth.sessions.log_out`: this cookie and every token of the
    user stop working, also a copy taken from this browser) and forget the cookie."""
    check_csrf(request, state, csrf_token)
    log_out(session, user)
    response = RedirectResponse("/ui/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(
        TOKEN_COOKIE, path="/", httponly=True, samesite="lax", secure=secure_cookies(request, state)
    )
    return response


@router.get("/", response_class=HTMLResponse)
def start(request: Request, user: PagePrincipal) -> Response:
    """Send each role to its first page."""
    targets = {
        UserRole.council: f"/ui/districts/{user.district}/lists",
        UserRole.auditor: "/ui/audit/models",
        UserRole.admin: "/ui/admin/users",
        UserRole.regional: "/ui/statistics",
        UserRole.ministry: "/ui/statistics",
    }
    target = targets.get(user.role)
    if target is not None:
        # An explicit language choice travels on, so the first page honours and remembers it.
        lang = request.query_params.get("lang")
        if i18n.parse_lang(lang) is not None:
            target += f"?lang={lang}"
        return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
    # Front-line roles: their forms, submissions, referrals and uploads (issue 13).
    return render(request, "home.html.j2", home_context(user))
