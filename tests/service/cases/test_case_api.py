"""A case from the council's decision to a delivered referral and a closed case, through the
API on SQLite and PostgreSQL: who may do what, the order of steps, history kept, bad input
refused with nothing stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from service.auth.roles import UserRole
from service.storage.tables import AccessLogEntry, Case, CaseMeasure, Decision, MeasureEvent
from tests.service.conftest import Service

R = UserRole
OWN, OTHER = "Almaly", "Bostandyk"
SOON = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=10)).isoformat()
PAST = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()


def _count(service: Service, table: type) -> int:
    with service.state.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _actions(service: Service) -> list[str]:
    with service.state.sessions() as session:
        return list(session.scalars(select(AccessLogEntry.action).order_by(AccessLogEntry.id)))


def _post(service: Service, path: str, body: Any, role: R, district: str | None = OWN) -> Any:
    return service.client.post(path, json=body, headers=service.headers(role, district))


def _get(service: Service, path: str, role: R, district: str | None = OWN) -> Any:
    return service.client.get(path, headers=service.headers(role, district))


def _decide(service: Service, family: str, **extra: Any) -> Any:
    body = {"measures": ["psychologist"], "priority": "keep", **extra}
    return _post(service, f"/v1/families/{family}/decisions", body, R.council)


def _plan(family: str, **extra: Any) -> dict[str, Any]:
    return {
        "measure": "psychologist", "agency": "clinic", "target": "child",
        "person_id": f"P{family}c", "due_on": SOON, "officer": "Dr. Seitkali", **extra,
    }  # fmt: skip


def test_a_case_from_decision_to_delivered_referral_and_closing(service: Service) -> None:
    family = service.seeded.families[OWN][0]
    response = _decide(
        service, family, measures=["psychologist", "social_patronage_visit"], priority="raise",
        plan=[_plan(family)],
    )  # fmt: skip
    assert response.status_code == 201, response.text
    case_id = response.json()["case_id"]
    assert case_id is not None

    view = _get(service, f"/v1/families/{family}/case", R.council).json()
    (case,) = view["cases"]
    assert (case["id"], case["status"], case["watch"]) == (case_id, "open", True)
    clinic, social = case["measures"]
    assert (clinic["agency"], clinic["target"], clinic["status"]) == ("clinic", "child", "proposed")
    assert clinic["person_name"] == f"Name {family} child"
    # No plan item for the second code: the catalogue's agency, the family, due in 30 days.
    assert (social["agency"], social["target"], social["person_id"]) == (
        "social_services", "family", None,
    )  # fmt: skip

    # A proposed measure is no referral yet.
    assert _get(service, "/v1/referrals", R.clinic).json() == {"referrals": []}
    # A clinic's measure goes to one clinic: sending it without naming one is refused (every
    # clinic of the district would see the family's names), nothing stored.
    send_path = f"/v1/cases/{case_id}/measures/{clinic['id']}/status"
    events_before = _count(service, MeasureEvent)
    unnamed = _post(service, send_path, {"status": "sent"}, R.council)
    assert unnamed.status_code == 422, unnamed.text
    (error,) = unnamed.json()["detail"]
    assert error["loc"] == ["body", "institution_id"]
    assert "schools and clinics are several per district" in error["msg"]
    unknown = _post(
        service, send_path, {"status": "sent", "institution_id": "clinic-nowhere"}, R.council
    )  # fmt: skip
    assert unknown.json()["detail"][0]["loc"] == ["body", "institution_id"]
    assert _count(service, MeasureEvent) == events_before
    assert (
        _get(service, f"/v1/families/{family}/case", R.council).json()["cases"][0]["measures"][0][
            "status"
        ]
        == "proposed"
    )
    sent = _post(
        service, send_path, {"status": "sent", "institution_id": f"clinic-{OWN}"}, R.council
    )  # fmt: skip
    assert sent.status_code == 200, sent.text
    assert sent.json()["institution_id"] == f"clinic-{OWN}"

    log_before = len(_actions(service))
    referrals = _get(service, "/v1/referrals", R.clinic).json()["referrals"]
    assert [r["id"] for r in referrals] == [clinic["id"]]
    # The read is logged per family shown, so an auditor can tell whose names were read.
    with service.state.sessions() as session:
        logged = session.execute(
            select(AccessLogEntry.action, AccessLogEntry.family_id, AccessLogEntry.district)
            .order_by(AccessLogEntry.id)
            .offset(log_before)
        ).all()
    assert [tuple(row) for row in logged] == [("referrals.read", family, OWN)]
    referral = referrals[0]
    assert referral["members"] == [f"Name {family} adult", f"Name {family} child"]
    assert referral["person_name"] == f"Name {family} child"
    assert not {"probability", "band", "rank", "reasons", "score"} & set(referral)
    # Another district's clinic, and the school of the district, see nothing.
    assert _get(service, "/v1/referrals", R.clinic, OTHER).json() == {"referrals": []}
    assert _get(service, "/v1/referrals", R.school).json() == {"referrals": []}

    path = f"/v1/referrals/{clinic['id']}/status"
    events_before = _count(service, MeasureEvent)
    early = _post(service, path, {"status": "delivered"}, R.clinic)
    assert early.status_code == 409
    assert early.json()["detail"].startswith("status:")
    wrong = _post(service, path, {"status": "acknowledged"}, R.school)
    assert wrong.status_code == 404
    assert wrong.json()["detail"].startswith("measure_id:")
    other = _post(service, path, {"status": "acknowledged"}, R.clinic, OTHER)
    assert other.status_code == 404
    # The council does not record the steps of an agency that has its own role.
    council_step = _post(
        service, f"/v1/cases/{case_id}/measures/{clinic['id']}/status",
        {"status": "acknowledged"}, R.council,
    )  # fmt: skip
    assert council_step.status_code == 409
    assert _count(service, MeasureEvent) == events_before  # nothing stored

    assert _post(service, path, {"status": "acknowledged"}, R.clinic).status_code == 200
    done = _post(service, path, {"status": "delivered", "note": "Two sessions."}, R.clinic)
    assert done.status_code == 200, done.text
    history = done.json()["history"]
    assert [(e["status_from"], e["status_to"]) for e in history] == [
        (None, "proposed"), ("proposed", "sent"), ("sent", "acknowledged"),
        ("acknowledged", "delivered"),
    ]  # fmt: skip
    assert [e["by"] for e in history] == ["council.almaly"] * 2 + ["clinic.almaly"] * 2
    again = _post(service, path, {"status": "declined", "note": "x" * 20}, R.clinic)
    assert again.status_code == 409  # delivered is final

    # The council records the steps of social services, which has no user role (one agency of
    # the district: no institution needed), with a note.
    social_path = f"/v1/cases/{case_id}/measures/{social['id']}/status"
    for step in ("sent", "acknowledged"):
        assert _post(service, social_path, {"status": step}, R.council).status_code == 200
    short = _post(service, social_path, {"status": "declined", "note": "no"}, R.council)
    assert short.status_code == 422
    assert short.json()["detail"][0]["loc"] == ["body", "note"]
    declined = _post(
        service, social_path, {"status": "declined", "note": "No visitor free this month."},
        R.council,
    )  # fmt: skip
    assert declined.json()["status"] == "declined"

    cases = _get(service, f"/v1/districts/{OWN}/cases?status=open", R.council).json()
    assert [(c["id"], c["measures"], c["delivered"]) for c in cases["cases"]] == [(case_id, 2, 1)]
    short_close = _post(service, f"/v1/cases/{case_id}/close", {"note": "done"}, R.council)
    assert short_close.status_code == 422
    closed = _post(
        service, f"/v1/cases/{case_id}/close", {"note": "Plan delivered, family safe."},
        R.council,
    )  # fmt: skip
    assert closed.status_code == 200, closed.text
    assert (closed.json()["status"], closed.json()["watch"]) == ("closed", False)
    late = _post(service, f"/v1/cases/{case_id}/measures", _plan(family), R.council)
    assert late.status_code == 409
    assert _get(service, f"/v1/districts/{OWN}/cases?status=open", R.council).json()["cases"] == []

    # A new decision opens a new case; the old one keeps its history.
    assert _decide(service, family).json()["case_id"] not in (None, case_id)
    view = _get(service, f"/v1/families/{family}/case", R.council).json()
    assert [c["status"] for c in view["cases"]] == ["open", "closed"]
    assert len(view["cases"][1]["measures"][0]["history"]) == 4

    # Auditors read cases without names, nor the free text that may hold them: the officer,
    # the notes of the history, the closing note (the council of the district reads them).
    own = _get(service, f"/v1/families/{family}/case", R.council).json()["cases"][1]
    assert own["close_note"] == "Plan delivered, family safe."
    assert own["measures"][0]["officer"] == "Dr. Seitkali"
    assert own["measures"][0]["history"][-1]["note"] == "Two sessions."
    audited = _get(service, f"/v1/families/{family}/case", R.auditor, None).json()
    closed_case = audited["cases"][1]
    assert closed_case["measures"][0]["person_name"] is None
    assert closed_case["close_note"] is None
    assert [m["officer"] for m in closed_case["measures"]] == [None, None]
    notes = [e["note"] for m in closed_case["measures"] for e in m["history"]]
    assert len(notes) == 8
    assert set(notes) == {None}
    assert "Seitkali" not in str(audited)
    assert "Two sessions" not in str(audited)
    actions = _actions(service)
    for action in ("case.read", "cases.read", "referrals.read", "referral.update",
                   "case.status", "case.close", "family.decision"):  # fmt: skip
        assert action in actions


def test_a_measure_added_on_the_case_and_institution_addressing(service: Service) -> None:
    family = service.seeded.families[OWN][1]
    case_id = _decide(service, family, plan=[_plan(family)]).json()["case_id"]
    added = _post(
        service, f"/v1/cases/{case_id}/measures",
        _plan(family, agency="school", measure="psychologist", institution_id="school-Almaly"),
        R.council,
    )  # fmt: skip
    assert added.status_code == 201, added.text
    assert added.json()["decision_id"] is None
    mid = added.json()["id"]
    _post(service, f"/v1/cases/{case_id}/measures/{mid}/status", {"status": "sent"}, R.council)
    (referral,) = _get(service, "/v1/referrals?status=sent", R.school).json()["referrals"]
    assert referral["institution_id"] == "school-Almaly"
    assert _get(service, "/v1/referrals?status=delivered", R.school).json()["referrals"] == []


def test_bad_input_names_the_field_and_stores_nothing(service: Service) -> None:
    family = service.seeded.families[OWN][2]
    stranger = service.seeded.families[OWN][3]
    bad_plans = {
        "agency": _plan(family, agency="bank"),
        "due_on": _plan(family, due_on=PAST),
        "person_id": _plan(family, person_id=f"P{stranger}c"),
        "institution_id": _plan(family, institution_id="school-nowhere"),
    }
    for field, item in bad_plans.items():
        response = _decide(service, family, plan=[item])
        assert response.status_code == 422, (field, response.text)
        (error,) = response.json()["detail"]
        assert error["loc"][:3] == ["body", "plan", 0]
        assert error["loc"][-1] == field
        assert stranger not in str(response.json())
    no_person = _decide(service, family, plan=[_plan(family, person_id=None)])
    assert no_person.json()["detail"][0]["loc"][-1] == "person_id"
    hold = _decide(service, family, priority="raise", hold_months=3)
    assert hold.json()["detail"][0]["loc"] == ["body", "hold_months"]
    too_long = _decide(
        service, family, priority="lower", reason="x" * 25, hold_months=13
    )  # fmt: skip
    assert too_long.status_code == 422
    assert (_count(service, Decision), _count(service, Case), _count(service, CaseMeasure)) == (
        0, 0, 0,
    )  # fmt: skip

    # Another district's case: refused like a case that does not exist (404 naming case_id,
    # the same answer: a case id's existence is not revealed), nothing stored.
    case_id = _decide(service, family, plan=[_plan(family)]).json()["case_id"]
    measures = _count(service, CaseMeasure)
    foreign = _post(service, f"/v1/cases/{case_id}/measures", _plan(family), R.council, OTHER)
    nowhere = _post(service, "/v1/cases/999999/measures", _plan(family), R.council, OTHER)
    assert (foreign.status_code, nowhere.status_code) == (404, 404)
    assert foreign.json() == nowhere.json()
    assert foreign.json()["detail"].startswith("case_id:")
    for path, body in (
        (f"/v1/cases/{case_id}/close", {"note": "Closing someone else's case."}),
        (f"/v1/cases/{case_id}/measures/1/status", {"status": "sent"}),
    ):
        assert _post(service, path, body, R.council, OTHER).status_code == 404
    assert _get(service, f"/v1/families/{family}/case", R.council, OTHER).status_code == 403
    assert _get(service, f"/v1/districts/{OWN}/cases", R.council, OTHER).status_code == 403
    past = _post(service, f"/v1/cases/{case_id}/measures", _plan(family, due_on=PAST), R.council)
    assert past.json()["detail"][0]["loc"] == ["body", "due_on"]
    missing = _post(service, f"/v1/cases/{case_id}/measures/999999/status", {"status": "sent"},
                    R.council)  # fmt: skip
    assert missing.status_code == 404
    assert _count(service, CaseMeasure) == measures


def test_no_action_opens_no_case_and_so_cannot_raise(service: Service) -> None:
    family = service.seeded.families[OWN][4]
    # "Raise" watches the family until its case is closed: with no case it would do nothing.
    raised = _decide(service, family, measures=["no_action"], priority="raise")
    assert raised.status_code == 422, raised.text
    (error,) = raised.json()["detail"]
    assert error["loc"] == ["body", "priority"]
    assert "add at least one measure" in error["msg"]
    assert (_count(service, Decision), _count(service, Case)) == (0, 0)

    response = _decide(service, family, measures=["no_action"], priority="keep")
    assert response.status_code == 201
    assert response.json()["case_id"] is None
    assert _get(service, f"/v1/families/{family}/case", R.council).json()["cases"] == []

    # With an open case, "raise" and "no action" watch that case.
    case_id = _decide(service, family).json()["case_id"]
    watched = _decide(service, family, measures=["no_action"], priority="raise")
    assert (watched.status_code, watched.json()["case_id"]) == (201, case_id)
    (case,) = _get(service, f"/v1/families/{family}/case", R.council).json()["cases"]
    assert case["watch"] is True
