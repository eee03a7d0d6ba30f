"""The front-line record forms (issue 13): every kind each role submits, validated on the
server with a message beside the field, stored once per form, confirmed with its number."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from service.auth.access import TOKEN_COOKIE
from service.auth.roles import UserRole
from service.storage.tables import (
    CarePlacementRow,
    HospitalInjuryRow,
    MedicalScreeningRow,
    PoliceSignalRow,
    RecordBase,
    SchoolSurveyRow,
)
from service.ui.auth import csrf_token_for
from tests.service.conftest import TOKEN_KEY, Service, build_service
from tests.service.ui.signin import sign_in

R = UserRole


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One SQLite app for the tests whose subject is the pages, not the storage (each test
    compares counts before and after, so their order does not matter)."""
    home = tmp_path_factory.mktemp("forms")
    yield from build_service(home, f"sqlite:///{home / 'p.db'}")


def _iin(service: Service, role: str = "a") -> str:
    """The IIN of a seeded adult ("a") or child ("c") of an Almaly family."""
    family = service.seeded.families["Almaly"][1]
    return service.seeded.iins[f"P{family}{role}"]


def _wrong_check_digit(iin: str) -> str:
    return iin[:11] + str((int(iin[11]) + 1) % 10)


def _count(service: Service, row: type[RecordBase]) -> int:
    """Records of `row`'s kind submitted through the pages and the API (the seeded ones carry
    institutions of their own)."""
    with service.state.sessions() as session:
        query = select(func.count()).select_from(row).where(row.institution_id.like("%-Almaly"))
        return int(session.scalar(query) or 0)


def _open(service: Service, path: str) -> tuple[str, str]:
    """The page and its one-time form token."""
    page = service.client.get(path)
    assert page.status_code == 200, page.text
    token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert token is not None
    return page.text, token.group(1)


def _csrf(service: Service) -> str:
    return csrf_token_for(service.client.cookies.get(TOKEN_COOKIE) or "", key=TOKEN_KEY)


def _post(service: Service, slug: str, data: dict[str, Any], token: str | None = None) -> Any:
    if token is None:
        token = _open(service, f"/ui/forms/{slug}")[1]
    body = {"csrf_token": _csrf(service), "form_token": token, **data}
    return service.client.post(f"/ui/forms/{slug}", data=body, follow_redirects=False)


def _screening(iin: str) -> dict[str, Any]:
    return {
        "subject_iin": iin, "event_date": "2025-05-01", "hits_hurt": "3", "hits_insult": "4",
        "hits_threaten": "2", "hits_scream": "4", "wast_tension": "a_lot",
        "wast_arguments": "some", "phq2": "3", "injury_inconsistent": "yes", "pregnant": "no",
        "alcohol_concern": "no", "forms": ["physical", "psychological"],
    }  # fmt: skip


FORMS: dict[str, tuple[UserRole, type[RecordBase], str, dict[str, Any]]] = {
    "school-survey": (R.school, SchoolSurveyRow, "c", {
        "event_date": "2025-05-02", "feels_safe": "2", "afraid_of_adult": "yes",
        "seen_violence": "yes", "hurt_by_adult": "no", "hunger_neglect": "no",
        "wants_counsellor": "yes", "unexplained_injury": "no", "behaviour_change": "yes",
        "days_absent": "4",
    }),
    "medical-screening": (R.clinic, MedicalScreeningRow, "a", _screening("")),
    "hospital-injury": (R.clinic, HospitalInjuryRow, "a", {
        "event_date": "2025-05-03", "admitted": "yes", "forms": ["physical"],
    }),
    "police-signal": (R.police, PoliceSignalRow, "a", {
        "kind": "protective_order", "event_date": "2025-05-04", "valid_until": "2025-06-03",
        "forms": ["physical"],
    }),
    "care-placement": (R.guardianship, CarePlacementRow, "c", {
        "event_date": "2025-05-05", "placement": "relatives", "temporary": "yes",
    }),
}  # fmt: skip


def test_each_form_stores_its_record_and_confirms_its_number(service: Service) -> None:
    for slug, (role, row, person, data) in FORMS.items():
        sign_in(service.client, f"{role.value}.almaly")
        iin = _iin(service, person)
        page, _token = _open(service, f"/ui/forms/{slug}")
        assert 'lang="kk"' in page
        response = _post(service, slug, {**data, "subject_iin": iin})
        assert response.status_code == 303, response.text
        target = response.headers["location"]
        record_id = target.split("/")[-1].split("?")[0]
        confirmation = service.client.get(target)
        assert confirmation.status_code == 200
        assert record_id in confirmation.text
        assert iin not in confirmation.text
        with service.state.sessions() as session:
            stored = session.get(row, record_id)
            assert stored is not None
            assert stored.institution_id == f"{role.value}-Almaly"
            assert stored.family_id == service.seeded.families["Almaly"][1]


def _problem(page: str, field: str) -> str:
    """The message shown beside `field` (its element `e-<field>`)."""
    found = re.search(rf'<p class="field-error" id="e-{field}">([^<]*)</p>', page)
    assert found is not None, f"no message beside {field}"
    return found.group(1)


def test_an_empty_form_names_every_field_and_stores_nothing(pages: Service) -> None:
    sign_in(pages.client, "clinic.almaly")
    before = _count(pages, MedicalScreeningRow)
    response = _post(pages, "medical-screening", {})
    assert response.status_code == 422
    page = response.text
    assert _problem(page, "subject_iin") == "Адамның ЖСН-ін енгізіңіз: 12 цифр."  # Kazakh default
    for name in ("event_date", "hits_hurt", "hits_scream", "wast_tension", "phq2", "pregnant"):
        _problem(page, name)
    assert 'aria-describedby="e-hits_hurt"' in page
    assert 'aria-invalid="true"' in page
    assert _count(pages, MedicalScreeningRow) == before


def test_bad_values_get_a_message_that_says_what_was_expected(pages: Service) -> None:
    sign_in(pages.client, "clinic.almaly")
    iin = _iin(pages)
    before = _count(pages, MedicalScreeningRow)
    data = {**_screening(iin), "hits_hurt": "7", "event_date": "2999-01-01"}
    pages.client.get("/ui/forms/medical-screening?lang=en")  # remembered in a cookie
    response = _post(pages, "medical-screening", data)
    assert response.status_code == 422
    page = response.text
    assert _problem(page, "hits_hurt") == "Expected an answer from 1 to 5."
    assert _problem(page, "event_date").startswith("Expected a date not after today (")
    # The valid IIN is not filled in again: it is asked for once more.
    assert _problem(page, "subject_iin") == "Enter the IIN again: it is never shown back on a page."
    assert iin not in page
    # What was typed in the other fields is kept.
    assert 'value="4" checked' in page.replace('value="4"\n', 'value="4" ')
    assert _count(pages, MedicalScreeningRow) == before


def test_an_iin_with_a_wrong_check_digit_is_refused_and_never_echoed(
    pages: Service,
) -> None:
    sign_in(pages.client, "clinic.almaly")
    pages.client.get("/ui/forms?lang=ru")
    wrong = _wrong_check_digit(_iin(pages))
    before = _count(pages, MedicalScreeningRow)
    response = _post(pages, "medical-screening", _screening(wrong))
    assert response.status_code == 422
    assert _problem(response.text, "subject_iin") == (
        "Контрольная цифра (12-я) не соответствует первым 11: проверьте номер."
    )
    assert wrong not in response.text
    assert _count(pages, MedicalScreeningRow) == before


def test_a_form_posted_without_its_csrf_token_is_refused(pages: Service) -> None:
    sign_in(pages.client, "clinic.almaly")
    _page, token = _open(pages, "/ui/forms/medical-screening")
    data = {**_screening(_iin(pages)), "form_token": token}
    before = _count(pages, MedicalScreeningRow)
    for csrf in ({}, {"csrf_token": "0" * 64}):
        response = pages.client.post(
            "/ui/forms/medical-screening", data={**data, **csrf}, follow_redirects=False
        )
        assert response.status_code == 403
    assert _count(pages, MedicalScreeningRow) == before


def test_a_double_click_or_a_resent_form_stores_the_record_once(service: Service) -> None:
    sign_in(service.client, "clinic.almaly")
    _page, token = _open(service, "/ui/forms/medical-screening")
    data = _screening(_iin(service))
    first = _post(service, "medical-screening", data, token)
    second = _post(service, "medical-screening", data, token)  # the second click
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert _count(service, MedicalScreeningRow) == 1
    # The same form sent again with other answers: refused, naming the stored record.
    changed = _post(service, "medical-screening", {**data, "phq2": "5"}, token)
    assert changed.status_code == 409
    record_id = first.headers["location"].split("/")[-1].split("?")[0]
    assert record_id in changed.text
    assert _count(service, MedicalScreeningRow) == 1
    # A form without its one-time token stores nothing either.
    expired = _post(service, "medical-screening", data, "")
    assert expired.status_code == 422
    assert _count(service, MedicalScreeningRow) == 1


def test_police_dates_follow_the_kind(pages: Service) -> None:
    sign_in(pages.client, "police.almaly")
    pages.client.get("/ui/forms?lang=en")
    iin = _iin(pages)
    page, _token = _open(pages, "/ui/forms/police-signal?kind=protective_order")
    assert 'value="protective_order" checked' in page
    base = {"subject_iin": iin, "event_date": "2025-05-04", "forms": []}
    before = _count(pages, PoliceSignalRow)
    cases = {
        "protective_order": ("", "Expected the last day of the protective order"),
        "domestic_call": ("2025-06-01", "Expected no date here"),
        "court_requirements": ("2025-05-01", "Expected a date on or after the date of the event"),
    }
    for kind, (until, message) in cases.items():
        response = _post(pages, "police-signal", {**base, "kind": kind, "valid_until": until})
        assert response.status_code == 422
        assert _problem(response.text, "valid_until").startswith(message)
    assert _count(pages, PoliceSignalRow) == before


def test_a_form_of_another_role_is_refused(pages: Service) -> None:
    sign_in(pages.client, "school.almaly")
    assert pages.client.get("/ui/forms/medical-screening").status_code == 403
    assert pages.client.get("/ui/forms/no-such-form").status_code == 404
    home = pages.client.get("/ui/")
    assert home.status_code == 200
    for link in ("/ui/forms/school-survey", "/ui/submissions", "/ui/referrals", "/ui/uploads"):
        assert f'href="{link}"' in home.text
    assert "/ui/forms/medical-screening" not in home.text


def test_the_hits_total_is_shown_without_a_script(pages: Service) -> None:
    sign_in(pages.client, "clinic.almaly")
    page, _token = _open(pages, "/ui/forms/medical-screening")
    assert "<script" not in page
    assert 'class="form-section hits"' in page
    assert 'class="hits-sum"' in page
    css = pages.client.get("/ui/static/patronage.css").text
    assert '.hits input[value="5"]:checked { counter-increment: hits 5; }' in css
    assert "content: counter(hits)" in css
