"""The council's case page (issue 12): the plan and each measure's history, adding a measure,
sending it, recording the steps of an agency without a user role, closing the case; the
decision form's hold months. Every form does what its button says, refusals are translated."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from features.months import first_of_month, format_month, months_after
from service.auth.roles import UserRole
from service.storage.tables import Case, CaseMeasure, PriorityHold
from tests.service.conftest import TOKEN_KEY, Service
from tests.service.ui.signin import sign_in

OWN = "Almaly"
SOON = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=14)).isoformat()
PAST = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=2)).isoformat()


def _token(client: TestClient) -> str:
    from service.ui.auth import csrf_token_for

    return csrf_token_for(client.cookies.get("patronage_token") or "", key=TOKEN_KEY)


def _post(client: TestClient, path: str, data: Mapping[str, str | list[str]]) -> httpx.Response:
    response: httpx.Response = client.post(
        path, data={**data, "csrf_token": _token(client)}, follow_redirects=False
    )
    return response


def _measures(service: Service, case_id: int) -> list[CaseMeasure]:
    with service.state.sessions() as session:
        rows = list(
            session.scalars(
                select(CaseMeasure).where(CaseMeasure.case_id == case_id).order_by(CaseMeasure.id)
            )
        )
        session.expunge_all()
    return rows


def test_the_council_plans_sends_records_and_closes_on_the_case_page(
    sqlite_service: Service,
) -> None:
    client = sqlite_service.client
    family = sqlite_service.seeded.families[OWN][0]
    sign_in(client, "council.almaly")
    page = client.get(f"/ui/families/{family}/case?lang=en")
    assert page.status_code == 200
    assert "No open case" in page.text
    assert f'href="/ui/families/{family}/case"' in client.get(f"/ui/families/{family}").text

    decided = _post(
        client, f"/ui/families/{family}/decisions",
        {"measures": "social_patronage_visit", "priority": "raise", "reason": ""},
    )  # fmt: skip
    assert decided.status_code == 303
    with sqlite_service.state.sessions() as session:
        case = session.scalars(select(Case).where(Case.family_id == family)).one()
        case_id, watch = case.id, case.watch
    assert watch
    (social,) = _measures(sqlite_service, case_id)

    page = client.get(f"/ui/families/{family}/case?lang=en").text
    assert "Social patronage visit" in page
    assert "Social services" in page
    assert "council's watch" in page.replace("&#39;", "'")
    assert "Send to the agency" in page
    assert f"Name {family} child" in page  # the person select lists the members

    form = {
        "measure": "psychologist", "agency": "clinic", "institution_id": "", "officer": "Dr. A",
        "target": "child", "person_id": f"P{family}c", "due_on": PAST,
    }  # fmt: skip
    refused = _post(client, f"/ui/cases/{case_id}/measures?lang=ru", form)
    assert refused.status_code == 422
    assert "Срок не может быть в прошлом." in refused.text
    assert len(_measures(sqlite_service, case_id)) == 1
    added = _post(client, f"/ui/cases/{case_id}/measures", {**form, "due_on": SOON})
    assert added.headers["location"].endswith("?done=measure")
    clinic = _measures(sqlite_service, case_id)[1]
    assert (clinic.agency, clinic.person_id, clinic.officer) == ("clinic", f"P{family}c", "Dr. A")

    # A clinic's measure goes to one clinic: the send form offers the district's clinics.
    page = client.get(f"/ui/families/{family}/case?lang=en").text
    send_form = page[page.index(f'id="measure-{clinic.id}"') :].split("</form>")[0]
    assert "Institution that will act" in send_form
    assert re.search(
        rf'<select id="institution-{clinic.id}" name="institution_id" required>\s*'
        rf'<option value="">—</option>\s*<option value="clinic-{OWN}">', send_form
    )  # fmt: skip
    assert f'<option value="clinic-{OWN}">' in page  # and the add form suggests them
    path = f"/ui/cases/{case_id}/measures/{{}}/status"
    unnamed = _post(client, path.format(clinic.id) + "?lang=en", {"status": "sent"})
    assert unnamed.status_code == 422
    assert (
        "Choose the institution that will act: schools and clinics are several per district."
        in unnamed.text
    )
    assert _measures(sqlite_service, case_id)[1].status == "proposed"
    sent = _post(
        client, path.format(clinic.id), {"status": "sent", "institution_id": f"clinic-{OWN}"}
    )
    assert sent.status_code == 303
    assert _measures(sqlite_service, case_id)[1].institution_id == f"clinic-{OWN}"
    page = client.get(f"/ui/families/{family}/case?lang=en").text
    assert "The agency records its own steps on its referrals page." in page
    # The clinic has a role: the council cannot record its step.
    blocked = _post(client, path.format(clinic.id), {"status": "acknowledged"})
    assert blocked.status_code == 409
    # Social services has none: the council sends the measure and records its steps.
    for step in ("sent", "acknowledged"):
        assert _post(client, path.format(social.id), {"status": step}).status_code == 303
    page = client.get(f"/ui/families/{family}/case?lang=en").text
    for button in ("Record: delivered", "Record: declined", "Record: could not reach the family"):
        assert button in page
    short = _post(client, path.format(social.id) + "?lang=en", {"status": "declined", "note": "no"})
    assert short.status_code == 422
    assert "A decline needs a reason of at least 10 characters." in short.text
    _post(client, path.format(social.id), {"status": "delivered", "note": "Visited twice."})
    assert _measures(sqlite_service, case_id)[0].status == "delivered"

    assert _post(client, f"/ui/cases/{case_id}/close", {"note": "short"}).status_code == 422
    closed = _post(client, f"/ui/cases/{case_id}/close", {"note": "Help delivered, closing."})
    assert closed.status_code == 303
    page = client.get(f"/ui/families/{family}/case?done=closed&lang=en").text
    assert "The case has been closed." in page
    assert "Help delivered, closing." in page
    assert "Visited twice." in page  # the closed case keeps each measure's history

    sign_in(client, "council.bostandyk")
    assert client.get(f"/ui/families/{family}/case").status_code == 403
    # Another district's case answers as a case that does not exist.
    foreign = _post(client, f"/ui/cases/{case_id}/close", {"note": "Not my district at all."})
    missing = _post(client, "/ui/cases/999999/close", {"note": "Not my district at all."})
    assert (foreign.status_code, missing.status_code) == (404, 404)


def test_the_decision_form_refuses_raise_without_a_measure(sqlite_service: Service) -> None:
    client = sqlite_service.client
    family = sqlite_service.seeded.families[OWN][2]
    sign_in(client, "council.almaly")
    refused = _post(
        client, f"/ui/families/{family}/decisions?lang=en",
        {"measures": "no_action", "priority": "raise", "reason": ""},
    )  # fmt: skip
    assert refused.status_code == 422
    assert "Raising priority keeps the family on the lists until its case is closed" in (
        refused.text
    )
    with sqlite_service.state.sessions() as session:
        assert session.scalars(select(Case).where(Case.family_id == family)).all() == []
    done = _post(
        client, f"/ui/families/{family}/decisions",
        {"measures": ["no_action", "psychologist"], "priority": "raise", "reason": ""},
    )  # fmt: skip
    assert done.status_code == 303


def test_the_decision_form_lowers_priority_for_the_months_chosen(sqlite_service: Service) -> None:
    client = sqlite_service.client
    family = sqlite_service.seeded.families[OWN][1]
    sign_in(client, "council.almaly")
    page = client.get(f"/ui/families/{family}?lang=en").text
    assert re.search(r'<select id="hold_months" name="hold_months">', page)
    response = _post(
        client, f"/ui/families/{family}/decisions",
        {"measures": "no_action", "priority": "lower", "hold_months": "5",
         "reason": "Help already under way through the school."},
    )  # fmt: skip
    assert response.status_code == 303
    with sqlite_service.state.sessions() as session:
        hold = session.scalars(select(PriorityHold).where(PriorityHold.family_id == family)).one()
        months = (hold.kind, hold.from_month, hold.until_month)
    first = months_after(first_of_month(dt.datetime.now(dt.UTC).date()), 1)
    # Five lists from next month's: the 1st and the 5th.
    assert months == ("lowered", format_month(first), format_month(months_after(first, 4)))


def test_the_list_page_marks_a_family_under_watch(sqlite_service: Service) -> None:
    from service.decisions.decide import record_decision
    from service.decisions.schemas import DecisionCreate, Measure, Priority
    from service.lists.generate import generate_lists

    family = sqlite_service.seeded.families[OWN][5]
    council = sqlite_service.user(UserRole.council, OWN)
    body = DecisionCreate(measures=[Measure.psychologist], priority=Priority.raise_)
    with sqlite_service.state.sessions() as session:
        record_decision(session, family, body, user=council, today=dt.date(2025, 6, 10))
        generate_lists(sqlite_service.state.engine, session, None, month="2025-07")
    sign_in(sqlite_service.client, "council.almaly")
    page = sqlite_service.client.get(f"/ui/districts/{OWN}/lists/2025-07?lang=en").text
    row = page[page.index(f">{family}<") :].split("</tr>")[0]
    assert "Under the council's watch" in row.replace("&#39;", "'")
