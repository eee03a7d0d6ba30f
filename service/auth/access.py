"""Typed FastAPI dependencies of access: the current user, roles and district scope.

Secure by default: every router under `/v1` (except the token route) is created with
`dependencies=[Depends(require_role(...))]`, so a route without an explicit role cannot be added
by accident. The current user of the API comes from `Authorization: Bearer <jwt>` only: the web
pages' HttpOnly cookie `patronage_token` is not an API credential, because a browser sends a
cookie with requests that another site makes it send (a form or `fetch` posting to
`/v1/admin/users/{id}/disable` needs no CORS preflight), but never an `Authorization` header.
The pages read the cookie themselves (`service.ui.auth`) and check a CSRF token on every form
they accept. All role and district checks live here:
`require_role(...)` and `district_scope(...)`; the web UI and the service functions call the
same functions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth.roles import Principal, UserRole
from service.auth.security import InvalidTokenError, decode_access_token
from service.deps import SessionDep, StateDep
from service.state import ServiceState
from service.storage.db import read_connection
from service.storage.tables import User

TOKEN_COOKIE = "patronage_token"

#: Declares the bearer token in the OpenAPI document (`securitySchemes`: OAuth2 password flow at
#: `/v1/token`, and a security requirement on every operation that needs a user). The token is
#: read by `token_from_request`; the scheme never answers on its own (`auto_error=False`).
BearerScheme = Annotated[
    str | None, Security(OAuth2PasswordBearer(tokenUrl="/v1/token", auto_error=False))
]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def token_from_request(request: Request) -> str | None:
    """The bearer token of the request, else None (the page cookie is ignored: see above)."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return None


class PasswordChangeRequired(HTTPException):
    """The user signed in with a one-time password and must choose a new one first (403)."""

    def __init__(self) -> None:
        super().__init__(
            status_code=status.HTTP_403_FORBIDDEN,
            detail="password change required: send a new password to POST /v1/me/password",
        )


def principal_from_token(
    token: str | None, *, state: ServiceState, session: Session, password_change: bool = False
) -> Principal:
    """Resolve a token to an active user or raise 401 (the reason never contains the token).

    A token issued before the user's last password reset, disable or logout carries an older
    `token_version` and is refused (401). A token issued for a one-time password, or any token
    of a user who must change their password, is accepted only where `password_change` is set
    (changing the password, signing out); elsewhere `PasswordChangeRequired` (403).

    `session` is not used (the lookup runs on its own read connection); it stays in the
    signature for callers such as the web pages."""
    if token is None:
        raise _unauthorized("not authenticated: send Authorization: Bearer <token>")
    try:
        claims = decode_access_token(token, key=state.secrets.token_key)
    except InvalidTokenError:
        raise _unauthorized("invalid or expired token") from None
    # A short read of its own (deferred on SQLite), so the request's session has not started a
    # transaction yet: the write lock is taken only when the handler writes.
    query = select(
        User.id,
        User.username,
        User.role,
        User.district,
        User.institution_id,
        User.region,
        User.active,
        User.token_version,
        User.password_change_required,
    ).where(User.id == claims.user_id)
    with read_connection(state.engine) as conn:
        user = conn.execute(query).first()
    if (
        user is None
        or not user.active
        or user.username != claims.username
        or user.token_version != claims.version
    ):
        raise _unauthorized("invalid or expired token")
    if (claims.password_change or user.password_change_required) and not password_change:
        raise PasswordChangeRequired()
    return Principal.of(user)


def get_current_user(
    request: Request, state: StateDep, session: SessionDep, _bearer: BearerScheme
) -> Principal:
    """The authenticated user of this request (401 when there is none)."""
    return principal_from_token(token_from_request(request), state=state, session=session)


CurrentUser = Annotated[Principal, Depends(get_current_user)]


def get_account_holder(
    request: Request, state: StateDep, session: SessionDep, _bearer: BearerScheme
) -> Principal:
    """The user of this request, also when their token is only good for changing the password
    (the routes that change the password or sign out)."""
    token = token_from_request(request)
    return principal_from_token(token, state=state, session=session, password_change=True)


AccountHolder = Annotated[Principal, Depends(get_account_holder)]


def check_role(user: Principal, roles: tuple[UserRole, ...]) -> None:
    """Raise 403 unless `user` has one of `roles`."""
    if user.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail=f"role {user.role.value} may not use this endpoint (allowed: {allowed})",
        )


def require_role(*roles: UserRole) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that admits only users with one of `roles` (403 otherwise, 401 without
    a token). Attach it to routers; it also returns the user for use in a route."""
    if not roles:
        raise ValueError("require_role: expected at least one role, got none")

    async def dependency(user: CurrentUser) -> Principal:
        # async: a pure check needs no worker thread (each sync dependency costs a thread hop).
        check_role(user, roles)
        return user

    dependency.__name__ = "require_" + "_or_".join(r.value for r in roles)
    return dependency


def district_scope(user: Principal, district: str) -> None:
    """Raise 403 unless `user` may see family-level data of `district`.

    Council members see their own district only; auditors see every district (never names);
    every other role (the regional and ministry roles too: statistics only) sees no
    family-level data.
    """
    if user.role is UserRole.auditor:
        return
    if user.role is UserRole.council and user.district == district:
        return
    raise HTTPException(
        status_code=status.HTTP_403_FORBIDDEN,
        detail="this user may not see family data of that district",
    )


def may_see_names(user: Principal, district: str) -> bool:
    """Names reach only the council of the family's own district (guardrail 6)."""
    return user.role is UserRole.council and user.district == district


def statistics_region_scope(user: Principal, region: str | None) -> None:
    """Raise 403 naming `region` unless `user` may read statistics of `region` (None: every
    region). A regional user reads their own region only; the ministry and auditors read
    every region; the council's own district is checked by `statistics_district_scope`."""
    if user.role in (UserRole.ministry, UserRole.auditor):
        return
    if user.role is UserRole.regional and region is not None and region == user.region:
        return
    raise HTTPException(
        status_code=status.HTTP_403_FORBIDDEN,
        detail="region: this user may read statistics of their own region only",
    )


def statistics_district_scope(user: Principal, district: str) -> None:
    """Raise 403 naming `district` unless a council member asks for their own district (the
    one statistic a council reads: its district's aggregates, small cells suppressed)."""
    if user.role is UserRole.council and user.district == district:
        return
    raise HTTPException(
        status_code=status.HTTP_403_FORBIDDEN,
        detail="district: a council member may read statistics of their own district only",
    )
