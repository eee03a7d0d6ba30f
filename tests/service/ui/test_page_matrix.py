"""The page matrix: every role x every page under `/ui` x own and other district, and no sign-in.

Like the API's matrix (`tests/service/auth/test_matrix.py`), expected outcomes come from one
table of who may open what, so a new page adds one row to `PAGES` (and
`test_every_page_is_in_the_matrix` fails until it does). An allowed role gets the page (`ok`);
any other signed-in role gets the translated 403 page; a browser that is not signed in is sent
to sign in (303 to `/ui/login?next=...`).

Scopes:
- `district`: family-level data of the council's own district (a council member of the other
  district gets 403, like any other role);
- `institution`: a record of one institution (the same role of the other district, another
  institution, gets 404: a record of someone else answers as one that does not exist).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pytest
from fastapi.routing import APIRoute

from service.auth.access import TOKEN_COOKIE
from service.auth.roles import UserRole
from tests.service.conftest import Service
from tests.service.factory import DISTRICTS, NO_DISTRICT_ROLES
from tests.service.factory import token_for as make_token

R = UserRole
ALL_ROLES = tuple(R)
FRONT_LINE = (R.school, R.clinic, R.police, R.guardianship)
OWN, OTHER = DISTRICTS  # the target family, district and record are in OWN
NO_SUCH = 999_999
#: The school survey of the school of `OWN` that the `institution` rows open (set by the fixture).
RECORD: list[str] = []


@dataclass(frozen=True)
class Page:
    path: str  # the route's own path; its parameters are filled from `fill` and `DEFAULTS`
    roles: tuple[UserRole, ...]
    scope: Literal["none", "district", "institution"] = "none"
    ok: tuple[int, ...] = (200,)
    fill: tuple[tuple[str, str], ...] = ()  # parameters of this row (a form's slug, a kind)
    #: Roles that reach the page but for whom this row's object is not theirs (404).
    elsewhere: tuple[UserRole, ...] = ()


def _form(slug: str, role: UserRole) -> Page:
    return Page("/ui/forms/{slug}", (role,), fill=(("slug", slug),))


PAGES = [
    Page("/ui/", ALL_ROLES, ok=(200, 303)),  # council, auditor, admin: sent to their first page
    Page("/ui/password", ALL_ROLES),
    # council
    Page("/ui/districts/{district}/lists", (R.council,), "district"),
    Page("/ui/districts/{district}/lists/{month}", (R.council,), "district"),
    Page("/ui/districts/{district}/lists/{month}/print", (R.council,), "district"),
    Page("/ui/districts/{district}/lists/{month}/export.csv", (R.council,), "district"),
    Page("/ui/districts/{district}/alerts", (R.council,), "district"),
    Page("/ui/districts/{district}/agenda", (R.council,), "district"),
    Page("/ui/districts/{district}/agenda/print", (R.council,), "district"),
    Page("/ui/districts/{district}/agenda/export.csv", (R.council,), "district"),
    Page("/ui/districts/{district}/dashboard", (R.council, R.auditor), "district"),
    Page("/ui/districts/{district}/cases", (R.council,), "district"),
    Page("/ui/families/{family_id}", (R.council,), "district"),
    Page("/ui/families/{family_id}/case", (R.council,), "district"),
    Page("/ui/persons/{person_id}/explanation", (R.council,), "district"),
    Page("/ui/persons/{person_id}/export", (R.council,), "district"),
    Page("/ui/persons/{person_id}/export.json", (R.council,), "district"),
    Page("/ui/persons/{person_id}/disputes/new", (R.council,), "district"),
    # No such dispute: the matrix checks who reaches the page.
    Page("/ui/disputes/{dispute_id}", (R.council,), ok=(404,)),
    # statistics
    Page("/ui/statistics", (R.regional, R.ministry, R.auditor, R.council)),
    Page("/ui/statistics/export.csv", (R.regional, R.ministry, R.auditor, R.council)),
    # auditor and admin
    Page("/ui/audit/models", (R.auditor, R.admin)),
    Page("/ui/audit/models/{version}", (R.auditor, R.admin), ok=(404,)),  # no such version
    Page("/ui/audit/models/{version}/shapes.png", (R.auditor, R.admin), ok=(404,)),
    Page("/ui/audit/fairness", (R.auditor,)),
    Page("/ui/audit/fairness/report.html", (R.auditor,), ok=(404,)),  # no report stored
    Page("/ui/audit/fairness/plots/{name}", (R.auditor,), ok=(404,)),
    Page("/ui/audit/explanations", (R.auditor,)),
    Page("/ui/audit/explanations/{family_id}", (R.auditor,)),
    Page("/ui/audit/access-log", (R.auditor,)),
    Page("/ui/admin/users", (R.admin,)),
    Page("/ui/admin/lists", (R.admin,)),
    Page("/ui/admin/retention", (R.admin,)),
    # front-line roles (issue 13): forms, submissions, referrals, uploads
    Page("/ui/forms", FRONT_LINE),
    _form("school-survey", R.school),
    _form("medical-screening", R.clinic),
    _form("hospital-injury", R.clinic),
    _form("police-signal", R.police),
    _form("care-placement", R.guardianship),
    Page("/ui/submissions", FRONT_LINE),
    Page("/ui/submissions/{record_type}/{record_id}", (R.school,), "institution"),
    Page("/ui/referrals", FRONT_LINE),
    Page("/ui/uploads", (*FRONT_LINE, R.admin)),
    Page(
        "/ui/uploads/templates/{kind}",
        (R.school, R.admin),
        fill=(("kind", "school_survey"),),
        elsewhere=(R.clinic, R.police, R.guardianship),  # uploaders of other kinds
    ),
    # The upload steps are posts; opening their address again leads back to the upload form.
    Page("/ui/uploads/preview", (*FRONT_LINE, R.admin), ok=(303,)),
    Page("/ui/uploads/commit", (*FRONT_LINE, R.admin), ok=(303,)),
    Page("/ui/uploads/cancel", (*FRONT_LINE, R.admin), ok=(303,)),
]

#: Pages anyone may open, signed in or not.
PUBLIC = ("/ui/login",)


def _districts(role: UserRole) -> tuple[str | None, ...]:
    return (None,) if role in NO_DISTRICT_ROLES else (OWN, OTHER)


CASES = [
    pytest.param(page, role, district, id=f"{page.path} {role.value} {district or '-'}")
    for page in PAGES
    for role in ALL_ROLES
    for district in _districts(role)
]


@pytest.fixture(scope="module")
def page_service(tmp_path_factory: pytest.TempPathFactory, champion: Any) -> Any:
    """One app for the whole matrix: lists of 2025-06 generated, and one school survey of the
    school of `OWN` (the record the `institution` rows open)."""
    from service.model_source import StaticModelSource
    from tests.service.conftest import build_service

    home = tmp_path_factory.mktemp("pages")
    generator = build_service(home, f"sqlite:///{home / 'p.db'}", StaticModelSource(champion))
    service = next(generator)
    client = service.client
    response = client.post("/v1/lists", json={"month": "2025-06"}, headers=service.headers(R.admin))
    assert response.status_code == 201, response.text
    family = service.seeded.with_order[OWN]
    survey = {
        "subject_iin": service.seeded.iins[f"P{family}c"], "event_date": "2025-05-01",
        "feels_safe": 4, "afraid_of_adult": False, "seen_violence": False,
        "hurt_by_adult": False, "hunger_neglect": False, "wants_counsellor": False,
        "unexplained_injury": False, "behaviour_change": False, "days_absent": 0,
    }  # fmt: skip
    stored = client.post(
        "/v1/records/school-surveys", json=survey, headers=service.headers(R.school, OWN)
    )
    assert stored.status_code == 201, stored.text
    RECORD.append(stored.json()["record_id"])
    yield service
    next(generator, None)  # runs the teardown of build_service


def _path(service: Service, page: Page) -> str:
    family = service.seeded.with_order[OWN]
    values = {
        "district": OWN, "family_id": family, "month": "2025-06", "person_id": f"P{family}a",
        "record_type": "school_survey", "record_id": RECORD[-1],
        "version": str(NO_SUCH), "name": "none.png", "dispute_id": str(NO_SUCH),
        **dict(page.fill),
    }  # fmt: skip
    return page.path.format(**values)


def _open(service: Service, path: str, role: UserRole | None, district: str | None) -> Any:
    """GET `path` with the page cookie of the user (None: not signed in)."""
    client = service.client
    client.cookies.clear()
    if role is not None:
        user = service.user(role, district)
        client.cookies.set(TOKEN_COOKIE, make_token(user, _key(service)))
    return client.get(path, follow_redirects=False)


def _key(service: Service) -> str:
    from tests.service.conftest import TOKEN_KEY

    return TOKEN_KEY


@pytest.mark.parametrize(("page", "role", "district"), CASES)
def test_page_matrix(
    page_service: Service, page: Page, role: UserRole, district: str | None
) -> None:
    response = _open(page_service, _path(page_service, page), role, district)
    allowed = role in page.roles
    if allowed and page.scope == "district" and role is R.council and district != OWN:
        allowed = False
    if allowed and page.scope == "institution" and district != OWN:
        assert response.status_code == 404, response.text  # another institution's record
        return
    if role in page.elsewhere:
        assert response.status_code == 404, response.text[:2000]
    elif allowed:
        assert response.status_code in page.ok, response.text[:2000]
    else:
        assert response.status_code == 403, response.text[:2000]
        assert 'lang="' in response.text  # the translated refusal page, not JSON


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.path)
def test_not_signed_in_is_sent_to_sign_in(page_service: Service, page: Page) -> None:
    response = _open(page_service, _path(page_service, page), None, None)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/ui/login?next=")


@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages_open_for_everyone(page_service: Service, path: str) -> None:
    for role, district in [(None, None), *((r, _districts(r)[0]) for r in ALL_ROLES)]:
        assert _open(page_service, path, role, district).status_code == 200


def _page_routes() -> set[str]:
    """The GET paths of every page module (`service/ui/pages_*.py`), under `/ui`."""
    import importlib
    import pkgutil

    import service.ui

    paths: set[str] = set()
    for module in pkgutil.iter_modules(service.ui.__path__):
        if module.name.startswith("pages_"):
            pages = importlib.import_module(f"service.ui.{module.name}")
            paths.update(
                "/ui" + route.path
                for route in pages.router.routes
                if isinstance(route, APIRoute) and "GET" in (route.methods or set())
            )
    return paths


def test_every_page_is_in_the_matrix() -> None:
    """Every GET page of the pages has its row (or is public)."""
    assert _page_routes() == {page.path for page in PAGES} | set(PUBLIC)
