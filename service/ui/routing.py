"""The route class of the pages: refusals and missing sign-ins become translated pages.

The API answers 401/403/404 with JSON; a person in a browser should see a page in their language
instead, and be sent to the sign-in page when not signed in. Doing it in a route class keeps it
inside the UI router (no app-wide exception handler that could change the API's answers).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request, Response, status
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from service.auth.access import PasswordChangeRequired
from service.errors import ServiceError
from service.ui import i18n
from service.ui.rendering import render, request_lang

logger = logging.getLogger(__name__)

_TITLES = {
    status.HTTP_403_FORBIDDEN: (
        i18n.N_("Access refused"),
        i18n.N_("Your role or district does not allow you to open this page."),
    ),
    status.HTTP_404_NOT_FOUND: (
        i18n.N_("Not found"),
        i18n.N_("There is nothing at this address, or it is not available to you."),
    ),
    status.HTTP_409_CONFLICT: (
        i18n.N_("Conflict"),
        i18n.N_("The request conflicts with what is already stored."),
    ),
    status.HTTP_429_TOO_MANY_REQUESTS: (
        i18n.N_("Too many attempts"),
        i18n.N_("Please wait a little before trying again."),
    ),
}
_DEFAULT = (i18n.N_("Request refused"), i18n.N_("The request could not be completed."))
#: The detail of `service.ui.auth`'s refusal of a form post without the session's CSRF token.
CSRF_MISMATCH = "CSRF token mismatch"
_CSRF = (
    i18n.N_("The form could not be accepted"),
    i18n.N_(
        "The form did not come from this site's page, or the page is too old. Open the page "
        "again and repeat; nothing was changed."
    ),
)


class LoginRequired(HTTPException):
    """No valid session cookie: send the browser to the sign-in page."""

    def __init__(self) -> None:
        super().__init__(status_code=status.HTTP_401_UNAUTHORIZED, detail="sign-in required")


def error_page(request: Request, status_code: int, *, csrf: bool = False) -> Response:
    """The translated page for a refusal (the service's English detail is not shown: it is
    written for API clients, and a person needs their own language)."""
    title, message = _CSRF if csrf else _TITLES.get(status_code, _DEFAULT)
    catalog = i18n.catalog(request_lang(request))
    return render(
        request,
        "error.html.j2",
        {"title": catalog.gettext(title), "message": catalog.gettext(message)},
        status_code=status_code,
    )


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(
        f"/ui/login?next={quote(target, safe='')}", status_code=status.HTTP_303_SEE_OTHER
    )


class UIRoute(APIRoute):
    """An APIRoute whose 401 redirects to sign-in and whose other refusals render a page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def ui_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except HTTPException as exc:
                if exc.status_code == status.HTTP_401_UNAUTHORIZED:
                    return login_redirect(request)
                if isinstance(exc, PasswordChangeRequired):  # signed in with a one-time password
                    return RedirectResponse("/ui/password", status_code=status.HTTP_303_SEE_OTHER)
                return error_page(request, exc.status_code, csrf=exc.detail == CSRF_MISMATCH)
            except ServiceError as exc:
                return error_page(request, exc.status_code)

        return ui_handler
