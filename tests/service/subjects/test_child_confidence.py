"""A parent never learns from the system what a child disclosed: a parent's export lists the
child's survey without the answers, the plain explanation states no reason built on it, and a
person named as the aggressor in a case measure gets no child's record at all."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from model.reasons import render
from service.auth.roles import UserRole
from service.storage.tables import Case, CaseMeasure, Decision, HospitalInjuryRow
from service.subjects.plain import read_plain_explanation
from service.subjects.schemas import CHILD_CONFIDENCE
from tests.service.conftest import Service
from tests.service.subjects.households import DAY, Household, household, store_list_entry
from tests.service.ui.signin import sign_in

COUNCIL = UserRole.council
#: What the child told the school and what the teacher saw: never in a parent's hands.
DISCLOSING = (
    "feels_safe", "afraid_of_adult", "seen_violence", "hurt_by_adult", "hunger_neglect",
    "wants_counsellor", "unexplained_injury", "behaviour_change",
)  # fmt: skip
SCHOOL = {lang: render("school_concerns_12m", 1.0, lang=lang) for lang in ("en", "ru", "kk")}


def export(service: Service, person_id: str) -> Any:
    response = service.client.get(
        f"/v1/persons/{person_id}/export", headers=service.headers(COUNCIL, "Almaly")
    )
    assert response.status_code == 200, response.text
    return response.json()


def explain(service: Service, person_id: str, *, lang: str = "en") -> list[str]:
    with service.state.read_sessions() as session:
        result = read_plain_explanation(
            session,
            service.user(COUNCIL, "Almaly"),
            person_id,
            lang=lang,  # type: ignore[arg-type]
        )
    assert result.on_list
    return result.reasons


def _child_records(service: Service, home: Household) -> None:
    """The child's own clinic screening and a hospital injury with the forms named."""
    with service.state.sessions() as session:
        session.add(
            HospitalInjuryRow(
                record_id=f"hi-{home.family_id}-c", family_id=home.family_id,
                person_id=home.child, institution_id="clinic-secret-17", event_date=DAY,
                knowledge_date=DAY, admitted=True, forms="sexual",
            )
        )  # fmt: skip
        session.commit()


def test_a_parents_export_and_explanation_hold_none_of_the_childs_answers(
    service: Service,
) -> None:
    home = household(service)  # two adults, a child whose survey says she is afraid at home
    _child_records(service, home)
    with service.state.sessions() as session:
        store_list_entry(session, [home.family_id])
    survey_id, injury_id = f"ss-{home.family_id}-c", f"hi-{home.family_id}-c"
    # A correction of an answer would give the answer back through the corrections list.
    fixed = service.client.post(
        f"/v1/families/{home.family_id}/corrections",
        json={"record_type": "school_survey", "record_id": survey_id, "field": "hurt_by_adult",
              "new_value": True, "reason": "The school re-checked the child's answer sheet."},
        headers=service.headers(COUNCIL, "Almaly"),
    )  # fmt: skip
    assert fixed.status_code == 201, fixed.text
    for parent in (home.adult, home.other_adult):
        data = export(service, parent)
        records = {r["record_id"]: r for r in data["records"]}
        survey = records[survey_id]  # still listed: kind, dates, the kind of agency
        assert (survey["record_type"], survey["source"]) == ("school_survey", "school")
        assert survey["event_date"] == DAY.isoformat()
        assert survey["content"] == {"days_absent": 7}
        assert survey["withheld"] == CHILD_CONFIDENCE
        assert records[injury_id]["content"] == {"admitted": True}
        text = json.dumps(data)
        for field in DISCLOSING:
            assert field not in text, (parent, field)
        assert "hurt_by_adult" not in {c["field"] for c in data["corrections"]}
        assert CHILD_CONFIDENCE in data["withheld"]
        reasons = explain(service, parent)
        assert SCHOOL["en"] not in reasons, parent  # built on the child's disclosure
        assert render("police_domestic_call_6m", 3.0, lang="en") in reasons
    # The child's own export (the child asking) holds the answers.
    own = export(service, home.child)
    survey = next(r for r in own["records"] if r["record_id"] == survey_id)
    assert survey["content"]["afraid_of_adult"] is True
    assert survey["withheld"] is None
    assert SCHOOL["en"] in explain(service, home.child)
    # The printable pages, in every language: no answer, the sentence why.
    sign_in(service.client, "council.almaly")
    for lang, sentence in (
        ("en", "Answers a child gave in confidence are not given to a parent"),
        ("ru", "Ответы, которые ребёнок дал доверительно, родителю не выдаются"),
        ("kk", "Баланың сеніп айтқан жауаптары ата-анаға берілмейді"),
    ):
        page = service.client.get(f"/ui/persons/{home.adult}/export?lang={lang}").text
        assert sentence in page, lang
        for field in DISCLOSING:
            assert f"{field}:" not in page
        explanation = service.client.get(f"/ui/persons/{home.adult}/explanation?lang={lang}")
        assert SCHOOL[lang] not in explanation.text
    page = service.client.get(f"/ui/persons/{home.adult}/export?lang=en").text
    for words in ("afraid of an adult at home", "has seen violence", "wants to talk"):
        assert words not in page
    assert survey_id in service.client.get(f"/ui/persons/{home.adult}/export.json").text
    form = service.client.get(f"/ui/persons/{home.adult}/disputes/new?lang=en").text
    assert not re.search(r"afraid of an adult|seen violence", form)


def test_a_parent_cannot_dispute_a_childs_confidential_answer(service: Service) -> None:
    home = household(service)
    body = {"record_type": "school_survey", "record_id": f"ss-{home.family_id}-c",
            "statement": "My daughter is not afraid of anybody at home."}  # fmt: skip
    refused = service.client.post(
        f"/v1/persons/{home.adult}/disputes",
        json={**body, "field": "afraid_of_adult"},
        headers=service.headers(COUNCIL, "Almaly"),
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["msg"] == (
        "field: expected one of days_absent, got another name"
    )
    allowed = service.client.post(
        f"/v1/persons/{home.adult}/disputes",
        json={**body, "field": "days_absent"},
        headers=service.headers(COUNCIL, "Almaly"),
    )
    assert allowed.status_code == 201, allowed.text


def test_a_person_named_as_the_aggressor_gets_no_childs_record(service: Service) -> None:
    home = household(service)
    council = service.user(COUNCIL, "Almaly")
    with service.state.sessions() as session:
        decision = Decision(
            family_id=home.family_id, district="Almaly", user_id=council.id,
            measures='["correctional_programme"]', priority="raise",
        )  # fmt: skip
        session.add(decision)
        session.flush()
        case = Case(
            family_id=home.family_id, district="Almaly", status="closed", opened_by=council.id,
            opened_on=dt.date(2025, 5, 10), first_decision_id=decision.id,
        )  # fmt: skip
        session.add(case)
        session.flush()
        session.add(
            CaseMeasure(
                case_id=case.id, decision_id=decision.id, measure="correctional_programme",
                agency="police", target="aggressor", person_id=home.other_adult,
                due_on=dt.date(2025, 6, 1), status="delivered", created_by=council.id,
                created_on=dt.date(2025, 5, 10),
            )
        )  # fmt: skip
        session.commit()
    named = export(service, home.other_adult)
    assert named["children"] == []
    assert {r["about"] for r in named["records"]} == {home.other_adult}
    assert f"ss-{home.family_id}-c" not in json.dumps(named)
    disputed = service.client.post(
        f"/v1/persons/{home.other_adult}/disputes",
        json={"record_type": "school_survey", "record_id": f"ss-{home.family_id}-c",
              "statement": "The school got my daughter wrong."},
        headers=service.headers(COUNCIL, "Almaly"),
    )  # fmt: skip
    assert disputed.status_code == 404  # as if the record did not exist
    # The other parent still has the child's record listed (without the answers).
    other = export(service, home.adult)
    assert [c["person_id"] for c in other["children"]] == [home.child]
