"""The plain explanation for one person: shared reasons always, another adult's screening
never; and the subject-access pages (explanation, export, disputes) do what they say."""

from __future__ import annotations

import re

from sqlalchemy import select

from model.reasons import render
from service.auth.roles import UserRole
from service.storage.tables import AccessLogEntry, Dispute, SchoolSurveyRow
from service.subjects.plain import read_plain_explanation
from tests.service.conftest import Service
from tests.service.subjects.households import household, store_list_entry
from tests.service.ui.signin import sign_in

HITS = render("hits_latest", 17.0, lang="en")
POLICE = render("police_domestic_call_6m", 3.0, lang="en")
SCHOOL = render("school_concerns_12m", 1.0, lang="en")
AGENCIES = render("agencies_signalled_12m", 3.0, lang="en")


def explain(service: Service, person_id: str, *, lang: str = "en") -> list[str]:
    with service.state.read_sessions() as session:
        result = read_plain_explanation(
            session,
            service.user(UserRole.council, "Almaly"),
            person_id,
            lang=lang,  # type: ignore[arg-type]
        )
    assert result.on_list
    assert result.month == "2025-06"
    return result.reasons


def test_an_adult_never_reads_another_adults_screening(service: Service) -> None:
    both = household(service, 0)  # both adults screened
    one = household(service, 1, other_screened=False)  # only the first adult screened
    with service.state.sessions() as session:
        store_list_entry(session, [both.family_id, one.family_id])
    for person in (both.adult, both.other_adult, one.other_adult):
        reasons = explain(service, person)
        assert HITS not in reasons, person
        assert AGENCIES not in reasons, person
        assert POLICE in reasons  # the police records at the address are shared
        # Not even their own child's survey: a reason built on what a child disclosed never
        # reaches a parent (test_child_confidence.py).
        assert SCHOOL not in reasons
    # Screened alone, the first adult of the second family reads her own screening's reason.
    assert HITS in explain(service, one.adult)
    # The adult child reads neither the screening nor the school survey of a sibling.
    grown = explain(service, both.adult_child)
    assert HITS not in grown
    assert SCHOOL not in grown
    assert POLICE in grown
    # No "never screened" and no zero counts: what is absent would tell about others.
    assert all("never" not in reason.lower() for reason in grown)
    with service.state.sessions() as session:
        actions = session.scalars(select(AccessLogEntry.action)).all()
    assert actions.count("person.explanation") == 5
    assert SCHOOL in explain(service, both.child)  # the child's own survey


def test_the_pages_show_no_other_adults_answers_and_record_disputes(service: Service) -> None:
    home = household(service, 0)
    with service.state.sessions() as session:
        store_list_entry(session, [home.family_id])
    client = service.client
    sign_in(client, "council.almaly")
    family = client.get(f"/ui/families/{home.family_id}?lang=en")
    assert family.status_code == 200
    assert f"/ui/persons/{home.other_adult}/export" in family.text
    assert f"/ui/persons/{home.adult}/explanation" in family.text
    page = client.get(f"/ui/persons/{home.other_adult}/explanation?lang=ru")
    assert page.status_code == 200
    assert "Решает человек" in page.text
    assert render("hits_latest", 17.0, lang="ru") not in page.text
    assert render("police_domestic_call_6m", 3.0, lang="ru") in page.text
    html = client.get(f"/ui/persons/{home.other_adult}/export?lang=en").text
    assert f"Other Adult {home.family_id}" in html
    assert f"Name {home.family_id} adult" not in html  # nothing about the first adult
    assert "clinic-secret-17" not in html
    exported = client.get(f"/ui/persons/{home.other_adult}/export.json").json()
    ids = {r["record_id"] for r in exported["records"]}
    assert f"ms-{home.family_id}-b" in ids
    assert f"ms-{home.family_id}-a" not in ids
    json_export = client.get(f"/ui/persons/{home.adult}/export.json?children=0")
    assert json_export.headers["content-disposition"].startswith("attachment")
    assert json_export.json()["children"] == []
    form = client.get(f"/ui/persons/{home.adult}/disputes/new?lang=en")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    assert f"school_survey:ss-{home.family_id}-c" in form.text
    assert f"ms-{home.family_id}-b" not in form.text
    short = client.post(
        f"/ui/persons/{home.adult}/disputes",
        data={"csrf_token": token.group(1), "record": "", "statement": "no"},
    )
    assert short.status_code == 422
    made = client.post(
        f"/ui/persons/{home.adult}/disputes",
        data={
            "csrf_token": token.group(1),
            "record": f"school_survey:ss-{home.family_id}-c",
            "field": "days_absent",
            "statement": "He was in hospital; the school has the certificate.",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    with service.state.sessions() as session:
        dispute_id = session.scalars(select(Dispute.id)).one()
    opened = client.get(f"/ui/disputes/{dispute_id}?lang=kk")
    assert opened.status_code == 200
    assert "Шешімді тіркеу" in opened.text  # "Record the outcome", in Kazakh
    outcome = client.post(
        f"/ui/disputes/{dispute_id}/outcome",
        data={
            "csrf_token": token.group(1),
            "outcome": "accepted",
            "field": "days_absent",
            "new_value": "0",
            "reason": "The hospital certificate covers those days.",
        },
        follow_redirects=False,
    )
    assert outcome.status_code == 303, outcome.text
    with service.state.sessions() as session:
        survey = session.get(SchoolSurveyRow, f"ss-{home.family_id}-c")
        assert survey is not None
        assert survey.days_absent == 0
    shown = client.get(f"/ui/families/{home.family_id}?lang=en")
    assert "Accepted: record corrected" in shown.text
    assert "Record the outcome" not in client.get(f"/ui/disputes/{dispute_id}?lang=en").text
    other = service.seeded.families["Bostandyk"][0]
    refused = client.get(f"/ui/persons/P{other}a/export")
    assert refused.status_code == 403
