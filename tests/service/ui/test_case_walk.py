"""A case from the list to the council's figures, in a real browser (issue 12).

A council member goes from the monthly list to a family, records a decision (which opens a
case), adds a measure for the police on the case page and sends it; the police acknowledges and
delivers it through the API; the council closes the case; the dashboard then counts it (a
closed case: 0 before, "<10" after, never the number) and the agenda and follow-up read it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.service.ui.harness import MONTH, RunningApp, running_app
from tests.service.ui.test_browser import CHROMIUM, _accessible, _page
from tests.service.ui.test_browser import browser as browser  # the shared fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing"),
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with running_app(tmp_path_factory.mktemp("walk-home")) as running:
        yield running


def _token(app: RunningApp, username: str) -> dict[str, str]:
    response = httpx.post(
        f"{app.url}/v1/token", data={"username": username, "password": app.password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _closed(app: RunningApp, month: str, headers: dict[str, str]) -> dict[str, Any]:
    response = httpx.get(f"{app.url}/v1/districts/Almaly/dashboard?month={month}", headers=headers)
    assert response.status_code == 200, response.text
    closed: dict[str, Any] = response.json()["cases_closed"]
    return closed


def test_a_case_from_the_list_to_the_dashboard(browser: Any, app: RunningApp) -> None:
    today = dt.datetime.now(dt.UTC).date()
    month = today.strftime("%Y-%m")
    council = _token(app, "council.almaly")
    assert _closed(app, month, council) == {"value": 0, "suppressed": False}

    page = _page(browser, app, "council.almaly")
    page.goto(f"/ui/districts/Almaly/lists/{MONTH}")
    link = page.locator("table.list tbody tr td a").first
    family_id = link.inner_text()
    link.click()
    page.check("#m-psychologist")
    page.get_by_role("button", name="Record the decision").click()
    assert "The decision has been recorded." in page.locator("p.notice").inner_text()

    # The case page: add a measure for the police of the district and send it.
    page.goto(f"/ui/families/{family_id}/case")
    page.select_option("#measure", "social_patronage_visit")
    page.select_option("#agency", "police")
    page.select_option("#target", "family")
    page.fill("#due_on", (today + dt.timedelta(days=10)).isoformat())
    page.get_by_role("button", name="Add the measure to the plan").click()
    section = page.locator("section.panel").filter(has_text="Police").last
    section.get_by_role("button", name="Send to the agency").click()
    _accessible(page, "en")

    # The police acknowledges and delivers the referral through the API.
    police = _token(app, "police.almaly")
    referrals = httpx.get(f"{app.url}/v1/referrals", headers=police).json()["referrals"]
    (referral,) = [r for r in referrals if r["family_id"] == family_id]
    assert not {"probability", "band", "rank", "reasons"} & set(referral)  # never a score
    for status in ("acknowledged", "delivered"):
        response = httpx.post(
            f"{app.url}/v1/referrals/{referral['id']}/status",
            json={"status": status, "note": None},
            headers=police,
        )
        assert response.status_code == 200, response.text

    # The council sees the delivery and closes the case.
    page.goto(f"/ui/families/{family_id}/case")
    page.fill("#close-note", "The family received the visit; no new concern was reported.")
    page.get_by_role("button", name="Close the case").click()
    assert "No open case" in page.locator("main").inner_text()

    # The dashboard of the month counts the closed case, as "<10".
    assert _closed(app, month, council) == {"value": None, "suppressed": True}
    page.goto(f"/ui/districts/Almaly/dashboard?month={month}")
    assert page.get_by_role("heading", level=1).inner_text().startswith("The council's figures")
    row = page.locator("table.figures tr").filter(has_text="Cases closed in the month")
    assert row.locator("td").inner_text() == "<10"
    assert not re.search(r"\b[1-9]\b", row.inner_text())
    _accessible(page, "en")

    # The case's follow-up: one measure delivered on time, first contact today.
    cases = httpx.get(f"{app.url}/v1/families/{family_id}/case", headers=council).json()
    case_id = cases["cases"][0]["id"]  # newest first
    follow = httpx.get(f"{app.url}/v1/cases/{case_id}/follow-up", headers=council).json()
    assert follow["status"] == "closed"
    assert (follow["delivered"], follow["delivered_on_time"]) == (1, 1)
    assert follow["first_contact_on"] == today.isoformat()

    # The agenda page reads in Russian.
    page.goto(f"/ui/districts/Almaly/agenda?month={MONTH}&lang=ru")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Повестка заседания")
    _accessible(page, "ru")
    page.context.close()
