""" "My submissions" (issue 13): an institution sees and corrects its own records only, never
another's and never a score; `GET /v1/submissions` and the pages agree."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from service.auth.access import TOKEN_COOKIE
from service.auth.roles import UserRole
from service.errors import FieldError
from service.records import corrections
from service.storage.tables import AccessLogEntry, RecordVersion
from service.ui import forms, pages_submissions
from service.ui.auth import csrf_token_for
from tests.service.conftest import TOKEN_KEY, Service, build_service
from tests.service.ui.signin import sign_in

R = UserRole
SCORE_WORDS = ("probability", "band", "rank", "reason_", "contribution", 'score"')


@pytest.fixture(scope="module")
def submitted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, dict[str, str]]]:
    """An app where the schools of both districts and the Almaly clinic submitted records."""
    home = tmp_path_factory.mktemp("submissions")
    for service in build_service(home, f"sqlite:///{home / 'p.db'}"):
        ids: dict[str, str] = {}
        for name, district, day, path, role, body in (
            ("school-may", "Almaly", "2025-05-02", "school-surveys", R.school, _survey(2)),
            ("school-april", "Almaly", "2025-04-10", "school-surveys", R.school, _survey(0)),
            ("school-other", "Bostandyk", "2025-05-03", "school-surveys", R.school, _survey(1)),
            ("injury", "Almaly", "2025-05-05", "hospital-injuries", R.clinic,
             {"admitted": True, "forms": []}),
        ):  # fmt: skip
            family = service.seeded.families[district][4]
            person = "a" if role is R.clinic else "c"
            payload = {
                "subject_iin": service.seeded.iins[f"P{family}{person}"], "event_date": day,
                **body,
            }  # fmt: skip
            response = service.client.post(
                f"/v1/records/{path}", json=payload, headers=service.headers(role, district)
            )
            assert response.status_code == 201, response.text
            ids[name] = response.json()["record_id"]
        yield service, ids


def _survey(days_absent: int) -> dict[str, Any]:
    return {
        "feels_safe": 3, "afraid_of_adult": False, "seen_violence": True,
        "hurt_by_adult": False, "hunger_neglect": False, "wants_counsellor": True,
        "unexplained_injury": False, "behaviour_change": False, "days_absent": days_absent,
    }  # fmt: skip


def test_the_api_lists_only_the_institutions_own_records(
    submitted: tuple[Service, dict[str, str]],
) -> None:
    service, ids = submitted
    headers = service.headers(R.school, "Almaly")
    found = service.client.get("/v1/submissions", headers=headers).json()
    assert [i["record_id"] for i in found["items"]] == [ids["school-may"], ids["school-april"]]
    assert found["total"] == 2
    item = found["items"][0]
    assert item["content"]["days_absent"] == 2
    assert item["linked"] is True
    assert item["version"] == 1
    assert not any(word in str(found) for word in SCORE_WORDS)
    may = service.client.get(
        "/v1/submissions", params={"from": "2025-05-01", "to": "2025-05-31"}, headers=headers
    ).json()
    assert [i["record_id"] for i in may["items"]] == [ids["school-may"]]
    refused = service.client.get(
        "/v1/submissions", params={"kind": "hospital_injury"}, headers=headers
    )
    assert refused.status_code == 422
    clinic = service.client.get(
        "/v1/submissions", headers=service.headers(R.clinic, "Almaly")
    ).json()
    assert [i["record_id"] for i in clinic["items"]] == [ids["injury"]]
    with service.state.sessions() as session:
        actions = session.scalars(
            select(AccessLogEntry.action).where(AccessLogEntry.username == "school.almaly")
        ).all()
    assert "submissions.read" in actions


def _csrf(service: Service) -> str:
    return csrf_token_for(service.client.cookies.get(TOKEN_COOKIE) or "", key=TOKEN_KEY)


def test_the_page_searches_by_kind_and_date_and_hides_other_institutions(
    submitted: tuple[Service, dict[str, str]],
) -> None:
    service, ids = submitted
    sign_in(service.client, "school.almaly")
    page = service.client.get("/ui/submissions?lang=en").text
    assert ids["school-may"] in page
    assert ids["school-april"] in page
    assert ids["school-other"] not in page
    assert "2 records found." in page
    dated = service.client.get("/ui/submissions?from=2025-04-01&to=2025-04-30").text
    assert ids["school-april"] in dated
    assert ids["school-may"] not in dated
    other = service.client.get(f"/ui/submissions/school_survey/{ids['school-other']}")
    assert other.status_code == 404  # as if it did not exist
    injury = service.client.get(f"/ui/submissions/hospital_injury/{ids['injury']}")
    assert injury.status_code == 403


def test_a_correction_through_the_page_stores_a_new_version_and_keeps_the_old(
    submitted: tuple[Service, dict[str, str]],
) -> None:
    service, ids = submitted
    sign_in(service.client, "school.almaly")
    record = ids["school-april"]
    path = f"/ui/submissions/school_survey/{record}"
    page = service.client.get(path + "?lang=en").text
    assert 'name="days_absent" type="number" inputmode="numeric" value="0"' in page
    form = {
        "csrf_token": _csrf(service), "event_date": "2025-04-10", "feels_safe": "3",
        "afraid_of_adult": "no", "seen_violence": "yes", "hurt_by_adult": "no",
        "hunger_neglect": "no", "wants_counsellor": "yes", "unexplained_injury": "no",
        "behaviour_change": "no", "days_absent": "0",
    }  # fmt: skip
    unchanged = service.client.post(
        path + "/corrections", data={**form, "reason": "Typing error in the count."}
    )
    assert unchanged.status_code == 422
    assert "Nothing was changed: change at least one answer." in unchanged.text
    short = service.client.post(
        path + "/corrections", data={**form, "days_absent": "3", "reason": "typo"}
    )
    assert short.status_code == 422
    assert re.search(r'id="e-reason">Expected a reason of at least 10 characters', short.text)
    out_of_range = service.client.post(
        path + "/corrections", data={**form, "days_absent": "40", "reason": "Typing error."}
    )
    assert out_of_range.status_code == 422
    assert 'id="e-days_absent">Expected a whole number from 0 to 31.' in out_of_range.text
    done = service.client.post(
        path + "/corrections",
        data={**form, "days_absent": "3", "reason": "The teacher counted three days."},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    shown = service.client.get(done.headers["location"]).text
    assert "The correction has been stored as version 2." in shown
    assert "As first submitted" in shown
    assert "The teacher counted three days." in shown
    with service.state.sessions() as session:
        versions = session.scalars(
            select(RecordVersion).where(RecordVersion.record_id == record)
        ).all()
    assert sorted(v.version for v in versions) == [1, 2]
    listed = service.client.get(
        "/v1/submissions", headers=service.headers(R.school, "Almaly")
    ).json()
    mine = next(i for i in listed["items"] if i["record_id"] == record)
    assert (mine["version"], mine["content"]["days_absent"]) == (2, 3)


def test_a_council_correction_shows_no_council_words_to_the_school(
    submitted: tuple[Service, dict[str, str]],
) -> None:
    """A version the council wrote carries the council's reason (what a family said in the
    conversation): the school reads "Corrected by the district council", never the words."""
    service, ids = submitted
    record = ids["school-may"]
    family = service.seeded.families["Almaly"][4]
    secret = "The mother told the council the father keeps the boy at home."
    council = service.client.post(
        f"/v1/families/{family}/corrections",
        json={"record_type": "school_survey", "record_id": record, "field": "days_absent",
              "new_value": 5, "reason": secret},
        headers=service.headers(R.council, "Almaly"),
    )  # fmt: skip
    assert council.status_code == 201, council.text
    sign_in(service.client, "school.almaly")
    path = f"/ui/submissions/school_survey/{record}"
    page = service.client.get(path + "?lang=en").text
    assert secret not in page
    assert "Corrected by the district council" in page
    assert "Аудандық кеңес түзеткен" in service.client.get(path + "?lang=kk").text
    assert "Исправлено районным советом" in service.client.get(path + "?lang=ru").text
    form = {
        "csrf_token": _csrf(service), "event_date": "2025-05-02", "feels_safe": "3",
        "afraid_of_adult": "no", "seen_violence": "yes", "hurt_by_adult": "no",
        "hunger_neglect": "no", "wants_counsellor": "yes", "unexplained_injury": "no",
        "behaviour_change": "no", "days_absent": "6",
    }  # fmt: skip
    own = "The class register shows six days."
    done = service.client.post(path + "/corrections", data={**form, "reason": own})
    assert done.status_code == 200, done.text  # followed to the record's page
    assert own in done.text  # the school's own words, version 3
    assert secret not in done.text
    api = service.client.get("/v1/submissions", headers=service.headers(R.school, "Almaly"))
    assert secret not in api.text


def test_a_refused_correction_names_the_field_not_nothing_changed(
    submitted: tuple[Service, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refusal of the correction itself (after the form's checks) shows the field's own
    message beside it; "Nothing was changed" only when nothing was."""
    service, ids = submitted
    today = dt.date(2025, 6, 1)

    def refuse_event_date(*_args: Any, **_kwargs: Any) -> Any:
        corrections._event_date("1800-01-01", today=today)  # the service's own refusal

    monkeypatch.setattr(pages_submissions, "correct_own_record", refuse_event_date)
    sign_in(service.client, "school.almaly")
    path = f"/ui/submissions/school_survey/{ids['school-april']}"
    form = {
        "csrf_token": _csrf(service), "event_date": "2025-04-11", "feels_safe": "3",
        "afraid_of_adult": "no", "seen_violence": "yes", "hurt_by_adult": "no",
        "hunger_neglect": "no", "wants_counsellor": "yes", "unexplained_injury": "no",
        "behaviour_change": "no", "days_absent": "3", "reason": "The date was mistyped.",
    }  # fmt: skip
    refused = service.client.post(path + "/corrections?lang=en", data=form)
    assert refused.status_code == 422
    assert 'id="e-event_date">Expected a date from 1900-01-01 to today' in refused.text
    assert "Nothing was changed" not in refused.text
    # The validity date of a police record: each refusal with its own message.
    day = dt.date(2025, 5, 1)
    values = {"event_date": day, "valid_until": day + dt.timedelta(days=6 * 365)}
    with pytest.raises(FieldError) as late:
        corrections._check_validity(values, day)
    name, problem = pages_submissions.refusal_problem(late.value, values, today=today)
    assert (name, problem.message) == ("valid_until", forms.UNTIL_TOO_LATE)
    kind = FieldError(
        ("body", "changes", "changes"),
        "changes: Value error, valid_until: expected a date for kind protective_order, got none",
    )
    name, problem = pages_submissions.refusal_problem(
        kind, {"event_date": day, "valid_until": None}, today=today
    )
    assert (name, problem.message) == ("valid_until", forms.UNTIL_NEEDED)
    none = FieldError(
        ("body", "changes"), "changes: expected at least one value other than the stored one"
    )
    _name, problem = pages_submissions.refusal_problem(none, {}, today=today)
    assert problem.message == pages_submissions.NOTHING_CHANGED
