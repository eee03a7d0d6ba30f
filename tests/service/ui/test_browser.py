"""The pages in a real browser: Debian's chromium driven headless by Playwright on loopback.

Walks the issue's scenario (council: list, family, decision, Kazakh, another district refused;
auditor: no names, access log verified), checks accessibility (labels, contrast, lang) and saves
the screenshots shown in the README.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.service.ui.harness import MONTH, RunningApp, running_app

CHROMIUM = Path("/usr/bin/chromium")
# Screenshots go to a temporary folder unless PATRONAGE_SCREENSHOTS names one (the README's
# pictures are refreshed with `PATRONAGE_SCREENSHOTS=docs/screenshots pytest -m browser`), so a
# test run never dirties the work tree.
SCREENSHOTS = Path(os.environ.get("PATRONAGE_SCREENSHOTS") or tempfile.mkdtemp(prefix="shots-"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is missing: run `make browser-deps` as root "
        "(apt-get install chromium) to run the browser tests",
    ),
]

# Contrast of every visible text node against its effective background, from computed styles.
CONTRAST_JS = (Path(__file__).parent / "contrast.js").read_text()

#: What the browser refused under the Content-Security-Policy (it reports each on the console).
CSP_VIOLATIONS: list[str] = []


def _watch_policy(page: Any) -> None:
    page.on(
        "console",
        lambda m: CSP_VIOLATIONS.append(m.text) if "Content Security Policy" in m.text else None,
    )


UNLABELLED_JS = """
() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.name || el.id)
"""


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with running_app(tmp_path_factory.mktemp("ui-home")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(shared_browser: Any) -> Any:
    """The session's one chromium (`tests/service/ui/conftest.py`): Playwright's sync API runs
    one instance per process, so every browser test shares it, in whatever order they run."""
    return shared_browser


def _page(browser: Any, app: RunningApp, username: str, *, locale: str = "en-US") -> Any:
    context = browser.new_context(
        base_url=app.url, locale=locale, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    _watch_policy(page)
    page.goto("/ui/login")
    page.get_by_label(re.compile("User name|Пайдаланушы аты|Имя пользователя")).fill(username)
    page.get_by_label(re.compile("Password|Құпиясөз|Пароль")).fill(app.password)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_load_state()
    return page


def _status(page: Any, url: str) -> int:
    """The HTTP status of opening `url` in `page`."""
    response = page.goto(url)
    assert response is not None
    return int(response.status)


def _accessible(page: Any, lang: str) -> None:
    assert CSP_VIOLATIONS == []  # the pages work under the strict policy (no inline anything)
    assert page.locator("html").get_attribute("lang") == lang
    assert page.evaluate(UNLABELLED_JS) == []
    assert page.evaluate(CONTRAST_JS) == []


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_council_member_walks_the_list(browser: Any, app: RunningApp) -> None:
    page = _page(browser, app, "council.almaly")
    page.goto(f"/ui/districts/Almaly/lists/{MONTH}")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Monthly list")
    rows = page.locator("table.list tbody tr")
    assert rows.count() > 0
    assert "Name F" in rows.first.inner_text()  # the council of the district sees names
    _accessible(page, "en")
    _shot(page, "list")

    # Filter by band through the form (no JavaScript needed: a GET form).
    first_band = page.locator("table.list tbody tr .band").first.get_attribute("class")
    band = (first_band or "").split("band-")[-1]
    page.select_option("#f-band", band)
    page.get_by_role("button", name="Apply").click()
    bands = page.locator("table.list tbody tr .band").evaluate_all(
        "els => els.map(e => e.className)"
    )
    assert bands
    assert all(f"band-{band}" in b for b in bands)

    # Open a family, record a decision; lowering without a reason is refused, translated.
    page.goto(f"/ui/districts/Almaly/lists/{MONTH}")
    family_id = page.locator("table.list tbody tr td a").first.inner_text()
    page.locator("table.list tbody tr td a").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == f"Family {family_id}"
    assert page.locator("svg.waterfall").count() == 1
    _accessible(page, "en")
    _shot(page, "family")
    page.check("#m-psychologist")
    page.select_option("#priority", "lower")
    page.fill("#reason", "too short")
    page.get_by_role("button", name="Record the decision").click()
    assert "at least 20 characters" in page.locator("#decision-error").inner_text()
    page.check("#m-social_patronage_visit")
    page.select_option("#priority", "lower")
    page.fill("#reason", "The family moved to relatives and the school reports no concerns now.")
    page.get_by_role("button", name="Record the decision").click()
    assert "The decision has been recorded." in page.locator("p.notice").inner_text()
    assert "The family moved to relatives" in page.locator("main").inner_text()

    # Switch to Kazakh: every later page honours it.
    page.get_by_role("link", name="Қазақша").click()
    assert page.locator("html").get_attribute("lang") == "kk"
    page.goto(f"/ui/districts/Almaly/lists/{MONTH}")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Ай сайынғы тізім")
    assert "Негізгі факторлар" in page.locator("table.list thead").inner_text()
    _accessible(page, "kk")
    _shot(page, "list-kk")

    # Another district's page by editing the URL: refused, in Kazakh.
    assert _status(page, f"/ui/districts/Bostandyk/lists/{MONTH}") == 403
    assert page.get_by_role("heading", level=1).inner_text() == "Қолжетімділік берілмеді"
    other = app.seeded.families["Bostandyk"][0]
    assert _status(page, f"/ui/families/{other}") == 403
    page.context.close()


def test_auditor_sees_no_names_and_verifies_the_log(browser: Any, app: RunningApp) -> None:
    page = _page(browser, app, "auditor.all")
    page.goto(f"/ui/audit/explanations?district=Almaly&month={MONTH}")
    body = page.locator("main").inner_text()
    assert "Name F" not in body
    page.locator("main table tbody tr td a").first.click()
    assert page.locator("svg.waterfall").count() == 1
    assert "Name F" not in page.content()
    _accessible(page, "en")
    _shot(page, "auditor-explanation")

    page.goto("/ui/audit/fairness")
    _accessible(page, "en")
    _shot(page, "fairness")

    page.goto("/ui/audit/access-log")
    assert "Read a monthly list" in page.locator("main table").inner_text()  # not list.read
    page.get_by_role("button", name="Verify the chain").click()
    assert "The chain is intact" in page.locator("#verify-result").inner_text()
    _accessible(page, "en")
    _shot(page, "access-log")

    # The auditor cannot open the council's family page (names live there).
    family = app.seeded.families["Almaly"][0]
    assert _status(page, f"/ui/families/{family}") == 403
    page.context.close()


def test_signed_out_browser_is_sent_to_sign_in(browser: Any, app: RunningApp) -> None:
    context = browser.new_context(base_url=app.url, locale="ru-RU")
    page = context.new_page()
    _watch_policy(page)
    page.goto(f"/ui/districts/Almaly/lists/{MONTH}")
    assert "/ui/login" in page.url
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.get_by_role("heading", level=1).inner_text() == "Вход"
    _accessible(page, "ru")
    context.close()


def test_api_docs_render_from_local_assets_only(browser: Any, app: RunningApp) -> None:
    """Swagger UI and ReDoc work under their policy and fetch nothing from elsewhere (ReDoc's
    "powered by" logo points to its CDN: the policy blocks it, which is the point)."""
    context = browser.new_context(base_url=app.url)
    page = context.new_page()
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto("/docs")
    page.locator(".swagger-ui .opblock").first.wait_for()
    assert page.locator(".swagger-ui .opblock").count() > 10
    page.goto("/redoc")
    page.locator("li[data-item-id]").first.wait_for()
    assert page.locator("li[data-item-id]").count() > 10
    outside = [url for url in fetched if not url.startswith((app.url, "blob:", "data:"))]
    assert set(outside) <= {"https://cdn.redoc.ly/redoc/logo-mini.svg"}  # refused, not loaded
    context.close()
