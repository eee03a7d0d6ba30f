"""Who is signed in to the pages, the CSRF token of the session, and the role checks.

The session is the service's own JWT in the HttpOnly, SameSite=Lax cookie `patronage_token`,
resolved by the same function as the API's bearer tokens
(`service.auth.access.principal_from_token`), and the role and district checks are the API's
(`check_role`, `district_scope`). Forms carry a CSRF token derived from the session token with the
server's key: a page of another site cannot read the cookie, so it cannot compute the token either.
`csrf_guard`, a dependency of the whole `/ui` router, checks it on every form post, so a new
page cannot forget to. The sign-in form has no session yet: its token is derived from a random
value in a cookie of its own (`patronage_login`), so another site cannot sign a browser in to an
account of its choosing either. Cookies are `Secure` whenever the request came over HTTPS (or
`PATRONAGE_SECURE_COOKIES` is set).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Annotated, Final

from fastapi import Depends, HTTPException, Request, Response, status
from sqlalchemy.orm import Session

from service.auth.access import TOKEN_COOKIE, check_role, principal_from_token
from service.auth.roles import Principal, UserRole
from service.deps import SessionDep, StateDep
from service.state import ServiceState
from service.ui import i18n
from service.ui.routing import LoginRequired

ROLE_LABELS: Final[dict[str, str]] = {
    UserRole.school: i18n.N_("School"),
    UserRole.clinic: i18n.N_("Clinic"),
    UserRole.police: i18n.N_("Police"),
    UserRole.council: i18n.N_("Council member"),
    UserRole.auditor: i18n.N_("Auditor"),
    UserRole.admin: i18n.N_("Administrator"),
    UserRole.guardianship: i18n.N_("Guardianship authority"),
    UserRole.regional: i18n.N_("Regional coordinator"),
    UserRole.ministry: i18n.N_("Ministry"),
}


class PageUser:
    """The signed-in user as the templates see it."""

    def __init__(self, principal: Principal) -> None:
        self.username = principal.username
        self.role = principal.role.value
        self.district = principal.district
        self.role_label = ROLE_LABELS.get(principal.role, principal.role.value)


#: The cookie holding the sign-in form's random value (its CSRF token is derived from it).
LOGIN_COOKIE: Final = "patronage_login"
#: Methods that change nothing, so need no CSRF token.
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token_for(session_token: str, *, key: str) -> str:
    """The CSRF token of a session: HMAC of the session token under the server's key."""
    return hmac.new(key.encode(), b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def secure_cookies(request: Request, state: ServiceState) -> bool:
    """Whether cookies set on this answer must be `Secure` (HTTPS, or forced by settings)."""
    return request.url.scheme == "https" or state.settings.secure_cookies


def login_nonce(request: Request) -> str:
    """The sign-in form's random value: the browser's own, or a new one."""
    return request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)


def login_form_token(nonce: str, state: ServiceState) -> str:
    """The sign-in form's CSRF token, derived from its random value."""
    return csrf_token_for("login:" + nonce, key=state.secrets.token_key)


def set_login_cookie(request: Request, response: Response, nonce: str, state: ServiceState) -> None:
    """Keep the sign-in form's random value in its cookie (only `/ui/login` ever reads it)."""
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request, state),
        path="/ui/login",
    )


def check_login_csrf(request: Request, state: ServiceState, submitted: str | None) -> None:
    """Refuse (403) a sign-in post whose token does not match the form's cookie."""
    nonce = request.cookies.get(LOGIN_COOKIE) or ""
    expected = login_form_token(nonce, state)
    if not nonce or not submitted or not hmac.compare_digest(expected, submitted):
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="CSRF token mismatch")


def page_principal(request: Request, state: StateDep, session: SessionDep) -> Principal:
    """The user signed in through the cookie; otherwise the browser is sent to sign in (and
    one who must change their password, to `/ui/password`: `UIRoute`)."""
    return cookie_principal(request, state, session)


def cookie_principal(
    request: Request, state: ServiceState, session: Session, *, password_change: bool = False
) -> Principal:
    """`page_principal`; with `password_change`, also a user whose session is only good for
    changing the password (the password page, signing out)."""
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        raise LoginRequired()
    try:
        principal = principal_from_token(
            token, state=state, session=session, password_change=password_change
        )
    except HTTPException as exc:
        if exc.status_code == status.HTTP_401_UNAUTHORIZED:
            raise LoginRequired() from None
        raise
    request.state.ui_user = PageUser(principal)
    request.state.csrf_token = csrf_token_for(token, key=state.secrets.token_key)
    return principal


PagePrincipal = Annotated[Principal, Depends(page_principal)]


def page_account_holder(request: Request, state: StateDep, session: SessionDep) -> Principal:
    """The signed-in user, also one whose session is only good for changing the password (the
    password page, signing out)."""
    return cookie_principal(request, state, session, password_change=True)


AccountHolderPage = Annotated[Principal, Depends(page_account_holder)]


def page_role(*roles: UserRole) -> Callable[[Principal], Principal]:
    """A dependency admitting only `roles`: the API's `check_role`, behind the cookie session."""

    def dependency(user: PagePrincipal) -> Principal:
        check_role(user, roles)
        return user

    dependency.__name__ = "page_" + "_or_".join(r.value for r in roles)
    return dependency


def check_csrf(request: Request, state: ServiceState, submitted: str | None) -> None:
    """Refuse (403) a form post whose CSRF token does not match the session's."""
    token = request.cookies.get(TOKEN_COOKIE) or ""
    expected = csrf_token_for(token, key=state.secrets.token_key)
    if not token or not submitted or not hmac.compare_digest(expected, submitted):
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="CSRF token mismatch")


async def csrf_guard(request: Request, state: StateDep) -> None:
    """Every form post to the pages carries the CSRF token (403 otherwise): the session's for a
    signed-in browser, the sign-in form's for `/ui/login`. A post without a session cookie is
    left to the page's sign-in check (which sends the browser to sign in)."""
    if request.method in SAFE_METHODS:
        return
    submitted = (await request.form()).get("csrf_token")
    token = submitted if isinstance(submitted, str) else None
    if request.url.path == "/ui/login":
        check_login_csrf(request, state, token)
    elif request.cookies.get(TOKEN_COOKIE):
        check_csrf(request, state, token)


CouncilUser = Annotated[Principal, Depends(page_role(UserRole.council))]
AuditorUser = Annotated[Principal, Depends(page_role(UserRole.auditor))]
AdminUser = Annotated[Principal, Depends(page_role(UserRole.admin))]
ModelReader = Annotated[Principal, Depends(page_role(UserRole.auditor, UserRole.admin))]
CouncilOrAuditor = Annotated[Principal, Depends(page_role(UserRole.council, UserRole.auditor))]
