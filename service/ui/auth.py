"""Who is signed in to the pages, the CSRF token of the session, and the role checks.

The session is the service's own JWT in the HttpOnly, SameSite=Lax cookie `patronage_token`,
resolved by the same function as the API's bearer tokens
(`service.auth.access.principal_from_token`), and the role and district checks are the API's
(`check_role`, `district_scope`). Forms carry a CSRF token derived from the session token with the
server's key: a page of another site cannot read the cookie, so it cannot compute the token either.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Annotated, Final

from fastapi import Depends, HTTPException, Request, status

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
}


class PageUser:
    """The signed-in user as the templates see it."""

    def __init__(self, principal: Principal) -> None:
        self.username = principal.username
        self.role = principal.role.value
        self.district = principal.district
        self.role_label = ROLE_LABELS.get(principal.role, principal.role.value)


def csrf_token_for(session_token: str, *, key: str) -> str:
    """The CSRF token of a session: HMAC of the session token under the server's key."""
    return hmac.new(key.encode(), b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def page_principal(request: Request, state: StateDep, session: SessionDep) -> Principal:
    """The user signed in through the cookie; otherwise the browser is sent to sign in."""
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        raise LoginRequired()
    try:
        principal = principal_from_token(token, state=state, session=session)
    except HTTPException as exc:
        if exc.status_code == status.HTTP_401_UNAUTHORIZED:
            raise LoginRequired() from None
        raise
    request.state.ui_user = PageUser(principal)
    request.state.csrf_token = csrf_token_for(token, key=state.secrets.token_key)
    return principal


PagePrincipal = Annotated[Principal, Depends(page_principal)]


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


CouncilUser = Annotated[Principal, Depends(page_role(UserRole.council))]
AuditorUser = Annotated[Principal, Depends(page_role(UserRole.auditor))]
AdminUser = Annotated[Principal, Depends(page_role(UserRole.admin))]
ModelReader = Annotated[Principal, Depends(page_role(UserRole.auditor, UserRole.admin))]
CouncilOrAuditor = Annotated[Principal, Depends(page_role(UserRole.council, UserRole.auditor))]
