"""Admin pages: users (create, disable, reset password), generating a month's lists, and the
retention report with its run."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from service.admin.schemas import UserCreate
from service.admin.users import (
    create_user,
    disable_user,
    list_users,
    registry_regions,
    reset_password,
)
from service.auth.roles import Principal, UserRole
from service.deps import SessionDep, StateDep, WriteSessionDep
from service.errors import ConflictError, ServiceError
from service.lists.generate import generate_with_champion
from service.lists.schemas import ListsCreate
from service.retention.deletion import recent_deletions
from service.retention.policy import RetentionPolicy
from service.retention.run import run_retention
from service.state import ServiceState
from service.ui import i18n, labels
from service.ui.auth import ROLE_LABELS, AdminUser, check_csrf
from service.ui.rendering import render, request_lang
from service.ui.routing import UIRoute

router = APIRouter(route_class=UIRoute)


def _users_page(
    request: Request, session: SessionDep, *, notice: str | None = None, error: str | None = None
) -> Response:
    accounts = [
        {**u.model_dump(), "role_label": ROLE_LABELS.get(u.role, u.role)}
        for u in list_users(session)
    ]
    roles = [(role.value, ROLE_LABELS[role]) for role in UserRole]
    return render(
        request,
        "admin/users.html.j2",
        {"accounts": accounts, "roles": roles, "regions": registry_regions(session),
         "notice": notice, "error": error},
    )  # fmt: skip


@dataclass(frozen=True)
class AdminPost:
    """What every admin form post shares: the request, the admin, the state, a write session
    and the form's CSRF token."""

    request: Request
    user: AdminUser
    state: StateDep
    session: WriteSessionDep
    csrf_token: Annotated[str, Form()] = ""

    def checked(self) -> Callable[[str], str]:
        """Refuse (403) a post without the session's CSRF token; else the reader's gettext."""
        check_csrf(self.request, self.state, self.csrf_token)
        return i18n.catalog(request_lang(self.request)).gettext


AdminPostDep = Annotated[AdminPost, Depends()]


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, user: AdminUser, session: SessionDep) -> Response:
    """Every user, with forms to create, disable and reset."""
    return _users_page(request, session)


@router.post("/admin/users", response_class=HTMLResponse)
def users_create(
    post: AdminPostDep,
    username: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    district: Annotated[str, Form()] = "",
    institution_id: Annotated[str, Form()] = "",
    region: Annotated[str, Form()] = "",
) -> Response:
    """Create a user (`service.admin.users.create_user`, as the API does), with a generated
    one-time password shown once."""
    _ = post.checked()
    request, session = post.request, post.session
    password = secrets.token_urlsafe(12)
    try:
        body = UserCreate(
            username=username,
            password=password,
            role=UserRole(role) if role in UserRole.__members__ else UserRole.council,
            district=district or None,
            institution_id=institution_id or None,
            region=region or None,
        )
        created = create_user(session, body)
    except (ValidationError, ServiceError):
        return _users_page(
            request,
            session,
            error=_(
                "The user could not be created: check the user name (letters, digits, dot, "
                "dash), that it is not taken, and the district or institution the role needs."
            ),
        )
    return _users_page(
        request,
        session,
        notice=_("User %(name)s created. One-time password: %(password)s")
        % {"name": created.username, "password": password},
    )


@router.post("/admin/users/{user_id}/disable", response_class=HTMLResponse)
def users_disable(user_id: int, post: AdminPostDep) -> Response:
    """Disable a user (`service.admin.users.disable_user`, as the API does): their tokens stop
    working at once."""
    _ = post.checked()
    request, session = post.request, post.session
    try:
        account = disable_user(session, user_id, by=post.user.id)
    except ConflictError:
        return _users_page(request, session, error=_("You cannot disable your own account."))
    return _users_page(
        request, session, notice=_("User %(name)s disabled.") % {"name": account.username}
    )


@router.post("/admin/users/{user_id}/reset-password", response_class=HTMLResponse)
def users_reset(user_id: int, post: AdminPostDep) -> Response:
    """Give a user a new one-time password (`service.admin.users.reset_password`, as the API
    does; shown once, stored only as an argon2 hash)."""
    _ = post.checked()
    account, password = reset_password(post.session, user_id)
    return _users_page(
        post.request,
        post.session,
        notice=_("New one-time password of %(name)s: %(password)s")
        % {"name": account.username, "password": password},
    )


@router.get("/admin/lists", response_class=HTMLResponse)
def lists_page(request: Request, user: AdminUser) -> Response:
    """The form that generates a month's lists."""
    return render(request, "admin/lists.html.j2", {"month": "", "notice": None, "error": None})


@router.post("/admin/lists", response_class=HTMLResponse)
def lists_generate(post: AdminPostDep, month: Annotated[str, Form()] = "") -> Response:
    """Generate the lists of every district (`service.lists.generate`, as the API does)."""
    _ = post.checked()
    notice = error = None
    try:
        body = ListsCreate(month=month)
        results = generate_with_champion(post.state, post.session, month=body.month)
        created = sum(1 for r in results if r.created)
        notice = _("Lists of %(month)s: %(created)s created, %(kept)s already existed.") % {
            "month": month,
            "created": created,
            "kept": len(results) - created,
        }
    except ValidationError:
        error = _("Write the month as YYYY-MM, for example 2025-04.")
    except ServiceError:
        error = _("The lists could not be generated: is a champion model registered?")
    return render(
        post.request, "admin/lists.html.j2", {"month": month, "notice": notice, "error": error}
    )


def _retention_page(
    request: Request, session: Session, state: ServiceState, user: Principal, *,
    apply: bool, error: str | None = None,
) -> Response:  # fmt: skip
    policy = RetentionPolicy.of(state.settings)
    home = state.settings.resolved_home
    report = run_retention(session, policy, user=user, home=home, apply=apply)
    return render(
        request,
        "admin/retention.html.j2",
        {"report": report, "policy": policy, "deletions": recent_deletions(session),
         "kinds": labels.DELETION_KINDS, "grounds": labels.DELETION_GROUNDS, "error": error},
    )  # fmt: skip


@router.get("/admin/retention", response_class=HTMLResponse)
def retention_page(
    request: Request, user: AdminUser, state: StateDep, session: SessionDep
) -> Response:
    """What is past its retention period today (a dry run, logged as one) and the tombstones of
    what was destroyed."""
    return _retention_page(request, session, state, user, apply=False)


@router.post("/admin/retention", response_class=HTMLResponse)
def retention_apply(post: AdminPostDep, confirm: Annotated[str, Form()] = "") -> Response:
    """Destroy what is past its period, as `patronage retention --apply` does, only with the
    box ticked that says the report was checked."""
    _ = post.checked()
    if confirm != "yes":
        error = _("Nothing was destroyed: tick the box that says you checked the report.")
        return _retention_page(
            post.request, post.session, post.state, post.user, apply=False, error=error
        )
    return _retention_page(post.request, post.session, post.state, post.user, apply=True)
