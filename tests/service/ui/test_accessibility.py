"""Every page, checked with axe-core in a real browser in Kazakh, Russian and English: no
violation of impact serious or critical; and no page references anything outside the service.

`PAGES` is the one table of (user, path): adding a page is one line, and a page of the product
missing from it fails `test_every_page_is_checked`. Each role gets one browser
context; each page is visited once per language. axe-core is the copy bundled inside the
`axe-playwright-python` wheel (nothing is fetched), loaded by Playwright into each document as
an init script and run through its evaluation channel, which the pages' Content-Security-Policy
(no scripts) does not govern.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from typing import Any, Final

import pytest

from tests.service.ui.browsing import BROWSER_MARKS, LANGS, class_file, signed_in, with_axe
from tests.service.ui.harness import MONTH, RunningApp

pytestmark = BROWSER_MARKS

COUNCIL, AUDITOR, ADMIN = "council.almaly", "auditor.all", "admin.all"
SCHOOL, CLINIC, POLICE = "school.almaly", "clinic.almaly", "police.almaly"
CARE, REGIONAL, MINISTRY = "guardianship.almaly", "regional.all", "ministry.all"

#: (who, path): every page of the product. `{month}` is the harness's month with lists,
#: `{family}` a family of Almaly, `{person}` its child, `{record}` a school survey the school
#: of Almaly submitted and `{dispute}` a dispute of that child (`page_data`). A path ending
#: in `!` must be refused (the refusal page is checked too).
PAGES: Final[tuple[tuple[str | None, str], ...]] = (
    (None, "/ui/login"),
    # the council (lists, families, meetings, subject access)
    (COUNCIL, "/ui/password"),
    (COUNCIL, "/ui/districts/Almaly/lists"),
    (COUNCIL, "/ui/districts/Almaly/lists/{month}"),
    (COUNCIL, "/ui/districts/Almaly/lists/{month}/print"),
    (COUNCIL, "/ui/districts/Almaly/alerts"),
    (COUNCIL, "/ui/districts/Almaly/agenda"),
    (COUNCIL, "/ui/districts/Almaly/agenda/print"),
    (COUNCIL, "/ui/districts/Almaly/dashboard"),
    (COUNCIL, "/ui/districts/Almaly/cases"),
    (COUNCIL, "/ui/districts/Almaly/cases?status=all"),
    (COUNCIL, "/ui/families/{family}"),
    (COUNCIL, "/ui/families/{family}/case"),
    (COUNCIL, "/ui/persons/{person}/explanation"),
    (COUNCIL, "/ui/persons/{person}/export"),
    (COUNCIL, "/ui/persons/{person}/disputes/new"),
    (COUNCIL, "/ui/disputes/{dispute}"),
    (COUNCIL, "/ui/statistics"),
    (COUNCIL, "/ui/districts/Bostandyk/lists!"),
    # the auditor
    (AUDITOR, "/ui/audit/models"),
    (AUDITOR, "/ui/audit/models/1"),
    (AUDITOR, "/ui/audit/fairness"),
    (AUDITOR, "/ui/audit/explanations"),
    (AUDITOR, "/ui/audit/explanations?district=Almaly&month={month}"),
    (AUDITOR, "/ui/audit/explanations/{family}?month={month}"),
    (AUDITOR, "/ui/audit/access-log"),
    (AUDITOR, "/ui/statistics"),
    # the admin
    (ADMIN, "/ui/admin/users"),
    (ADMIN, "/ui/admin/lists"),
    (ADMIN, "/ui/admin/retention"),
    (ADMIN, "/ui/uploads"),
    # statistics readers
    (REGIONAL, "/ui/statistics"),
    (MINISTRY, "/ui/statistics"),
    # the front line: start page, forms, submissions, referrals, uploads
    (SCHOOL, "/ui/"),
    (SCHOOL, "/ui/forms"),
    (SCHOOL, "/ui/forms/school-survey"),
    (SCHOOL, "/ui/submissions"),
    (SCHOOL, "/ui/submissions/school_survey/{record}"),
    (SCHOOL, "/ui/referrals"),
    (SCHOOL, "/ui/uploads"),
    (CLINIC, "/ui/forms/medical-screening"),
    (CLINIC, "/ui/forms/hospital-injury"),
    (CLINIC, "/ui/uploads"),
    (POLICE, "/ui/forms/police-signal"),
    (POLICE, "/ui/uploads"),
    (CARE, "/ui/forms/care-placement"),
    (CARE, "/ui/uploads"),
)
#: Impacts that fail the test (axe also reports "moderate" and "minor").
FAILING: Final = frozenset({"serious", "critical"})
#: The WCAG 2.2 A and AA rules (axe's "best-practice" rules are advice, and slow).
AXE_OPTIONS: Final = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
}


#: GET addresses of the pages' routers that are not pages to check: downloads, an image, the
#: stored fairness report of an MLflow run (the harness has none) and the upload steps, which
#: answer their posts (`test_upload_preview_and_result_pass_axe`) and redirect a GET.
NOT_PAGES: Final = frozenset(
    {
        "/ui/audit/fairness/plots/{name}",
        "/ui/audit/models/{version}/shapes.png",
        "/ui/audit/fairness/report.html",
        "/ui/districts/{district}/agenda/export.csv",
        "/ui/districts/{district}/lists/{month}/export.csv",
        "/ui/persons/{person_id}/export.json",
        "/ui/statistics/export.csv",
        "/ui/uploads/templates/{kind}",
        "/ui/uploads/cancel",
        "/ui/uploads/commit",
        "/ui/uploads/preview",
    }
)


@pytest.fixture(scope="module")
def page_data(shared_app: RunningApp) -> dict[str, str]:
    """A school survey of the school of Almaly about the first family's child, and a dispute
    of that child, stored through the API of the running app."""
    import httpx

    from service.auth.roles import UserRole
    from tests.service.conftest import TOKEN_KEY
    from tests.service.factory import auth

    family = shared_app.seeded.families["Almaly"][0]
    person = f"P{family}c"
    survey = {
        "subject_iin": shared_app.seeded.iins[person], "event_date": "2025-05-01",
        "feels_safe": 4, "afraid_of_adult": False, "seen_violence": False,
        "hurt_by_adult": False, "hunger_neglect": False, "wants_counsellor": False,
        "unexplained_injury": False, "behaviour_change": False, "days_absent": 0,
    }  # fmt: skip
    users = shared_app.seeded.users
    with httpx.Client(base_url=shared_app.url) as client:
        stored = client.post(
            "/v1/records/school-surveys",
            json=survey,
            headers=auth(users[(UserRole.school, "Almaly")], TOKEN_KEY),
        )
        assert stored.status_code == 201, stored.text
        disputed = client.post(
            f"/v1/persons/{person}/disputes",
            json={"statement": "The school has the wrong days on record for my son."},
            headers=auth(users[(UserRole.council, "Almaly")], TOKEN_KEY),
        )
        assert disputed.status_code == 201, disputed.text
    return {"record": stored.json()["record_id"], "dispute": str(disputed.json()["id"])}


def _fill(path: str, app: RunningApp, data: dict[str, str]) -> str:
    family = app.seeded.families["Almaly"][0]
    return path.format(month=MONTH, family=family, person=f"P{family}c", **data)


def test_every_page_is_checked() -> None:
    """Every GET page of the pages' routers has a row in `PAGES` (or is in `NOT_PAGES`)."""
    from tests.service.ui.test_page_matrix import _page_routes

    checked = [re.sub(r"\?.*|!$", "", path) for _user, path in PAGES]

    def covered(route: str) -> bool:
        pattern = re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(route)) + "$")
        return any(pattern.match(path) for path in checked)

    missing = sorted(r for r in _page_routes() - NOT_PAGES if not covered(r))
    assert missing == []
    assert not NOT_PAGES - _page_routes()  # no stale exemption


def _with_lang(path: str, lang: str) -> str:
    return path + ("&" if "?" in path else "?") + f"lang={lang}"


def _serious(results: dict[str, Any]) -> list[str]:
    """The serious and critical violations of one axe run, one line each."""
    out = []
    for violation in results["violations"]:
        if violation.get("impact") in FAILING:
            targets = [", ".join(map(str, n.get("target", []))) for n in violation["nodes"]][:3]
            out.append(f"{violation['id']} ({violation['impact']}): {'; '.join(targets)}")
    return out


OUTSIDE_JS: Final = """
() => Array.from(document.querySelectorAll('[href], [src], [action], [srcset], [poster]'))
  .flatMap(el => ['href', 'src', 'action', 'srcset', 'poster'].map(a => el.getAttribute(a)))
  .filter(v => v && /^(https?:)?\\/\\//i.test(v.trim()))
"""


#: The waterfall chart is one image to assistive technology (`role="img"`, named by its title
#: and description): its hundreds of SVG nodes are left out of axe's run (they made it ten times
#: slower) and the image's name is checked instead.
AXE_CONTEXT: Final = {"exclude": [["svg.waterfall"]]}
UNNAMED_IMAGES_JS: Final = """
() => Array.from(document.querySelectorAll('svg.waterfall')).filter(svg =>
  svg.getAttribute('role') !== 'img' || !(svg.getAttribute('aria-labelledby') || '').split(' ')
    .map(id => (document.getElementById(id) || {}).textContent || '').join('').trim()
).length
"""


def _check(page: Any, where: str, found: dict[str, list[str]]) -> None:
    results = page.evaluate(
        "([context, options]) => axe.run(context, options)", [AXE_CONTEXT, AXE_OPTIONS]
    )
    for problem in _serious(results):
        found[where].append(problem)
    if page.evaluate(UNNAMED_IMAGES_JS):
        found[where].append("a waterfall chart without role img and a name")
    for url in page.evaluate(OUTSIDE_JS):
        found[where].append(f"references an outside address: {url}")


def _requests_outside(page: Any, app: RunningApp) -> list[str]:
    fetched: list[str] = []
    page.on(
        "request",
        lambda r: fetched.append(r.url) if not r.url.startswith((app.url, "data:")) else None,
    )
    return fetched


@pytest.mark.parametrize("user", sorted({u or "" for u, _ in PAGES}))
def test_every_page_passes_axe_in_three_languages(
    shared_browser: Any, shared_app: RunningApp, page_data: dict[str, str], user: str
) -> None:
    page = with_axe(signed_in(shared_browser, shared_app, user or None))
    outside = _requests_outside(page, shared_app)
    found: dict[str, list[str]] = defaultdict(list)
    paths = [p for u, p in PAGES if (u or "") == user]
    for lang in LANGS:
        for path in paths:
            refused = path.endswith("!")
            url = _with_lang(_fill(path.removesuffix("!"), shared_app, page_data), lang)
            response = page.goto(url)
            assert response is not None
            assert (url, response.status >= 400) == (url, refused), response.status
            assert page.locator("html").get_attribute("lang") == lang
            _check(page, url, found)
    page.context.close()
    assert dict(found) == {}
    assert outside == []


def test_upload_preview_and_result_pass_axe(shared_browser: Any, shared_app: RunningApp) -> None:
    """The pages a post answers: a preview with row problems, a clean preview, the result."""
    page = with_axe(signed_in(shared_browser, shared_app, SCHOOL))
    found: dict[str, list[str]] = defaultdict(list)
    stamp = dt.datetime.now(dt.UTC).strftime("%H%M%S")
    for lang in LANGS:
        for bad in (True, False):
            page.goto(f"/ui/uploads?lang={lang}")
            page.set_input_files(
                "#up-file",
                {"name": f"class-{stamp}.csv", "mimeType": "text/csv",
                 "buffer": class_file(shared_app, bad=bad)},
            )  # fmt: skip
            page.locator("form.upload-form button[type=submit]").click()
            page.wait_for_load_state()
            assert page.locator("#upload-errors").count() == int(bad)
            _check(page, f"preview ({lang}, bad={bad})", found)
        page.locator("#commit").click()
        page.wait_for_load_state()
        assert page.locator("#stored").count() == 1
        _check(page, f"result ({lang})", found)
    page.context.close()
    assert dict(found) == {}


def test_the_check_finds_what_it_looks_for(shared_browser: Any, shared_app: RunningApp) -> None:
    """The checks can fail: a field without a label, grey-on-white text and an outside image
    put into the sign-in page are each reported."""
    page = with_axe(signed_in(shared_browser, shared_app, None))
    page.goto("/ui/login?lang=en")
    page.evaluate(
        """() => { const main = document.querySelector('main');
        main.insertAdjacentHTML('beforeend', '<input name="x"><p class="faint">faint text</p>' +
          '<img alt="" src="https://cdn.example/x.png">');
        main.querySelector('.faint').style.color = '#bbbbbb'; }"""
    )
    found: dict[str, list[str]] = defaultdict(list)
    _check(page, "login", found)
    page.context.close()
    problems = " | ".join(found["login"])
    assert "label (critical)" in problems
    assert "color-contrast (serious)" in problems
    assert "references an outside address: https://cdn.example/x.png" in problems
