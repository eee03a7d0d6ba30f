"""Subject-access pages of the council: a person's export (printable, and as JSON), the
plain-language explanation for the conversation with the family, disputes and outcomes.

Each page calls the functions the API's routes call (`service.subjects`): the same district
check (the council of the family's district only) and the same access-log entries. Pages only
reshape and translate.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from features.i18n import N_
from service.auth.roles import Principal
from service.deps import SessionDep, StateDep, WriteSessionDep
from service.errors import ConflictError, FieldError
from service.families.schemas import FamilyRead
from service.subjects.disputes import (
    create_dispute,
    decide_dispute,
    read_dispute,
    read_dispute_form,
    read_family_disputes,
)
from service.subjects.export import read_person_export
from service.subjects.plain import read_plain_explanation
from service.subjects.schemas import DisputeCreate, DisputeOutcomeCreate, ExportRecord
from service.ui import i18n, labels
from service.ui.auth import ROLE_LABELS, CouncilUser, check_csrf
from service.ui.rendering import render, request_lang
from service.ui.routing import UIRoute

router = APIRouter(route_class=UIRoute)

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
PersonId = Annotated[str, Path(max_length=64)]
DisputeId = Annotated[int, Path(ge=1, le=2**31 - 1)]

STATUSES = {
    "open": N_("Open"),
    "accepted": N_("Accepted: record corrected"),
    "rejected": N_("Rejected: record kept"),
}
#: Yes and no as typed into the corrected-value box, in the pages' languages.
YES = frozenset({"1", "true", "yes", "да", "иә"})
NO = frozenset({"0", "false", "no", "нет", "жоқ"})
RELATIONS = {"self": N_("The person"), "child": N_("Child under 18")}
RECORD_TYPES = {
    "school_survey": N_("School survey"),
    "medical_screening": N_("Violence screening at a clinic"),
    "police_signal": N_("Police record"),
    "hospital_injury": N_("Hospital-treated injury"),
    "guardianship_care": N_("Child taken into care"),
}


def _record_row(catalog: i18n.Catalog, record: ExportRecord) -> dict[str, Any]:
    return {
        "record_id": record.record_id,
        "type_key": record.record_type,
        "type_label": labels.label(catalog, RECORD_TYPES, record.record_type),
        "about": record.about,
        "event_date": record.event_date,
        "knowledge_date": record.knowledge_date,
        "summary": labels.summarise(catalog, record.source, record.content),
        "fields": [(k, _shown(v)) for k, v in record.content.items()],
        # A child's record in a parent's export: why its answers are not there.
        "withheld": None if record.withheld is None else catalog.gettext(record.withheld),
    }


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return "—" if value is None else str(value)


def family_subject_context(
    session: Session, user: Principal, view: FamilyRead
) -> dict[str, object]:
    """The family page's subject-access section: each member with the links to their export,
    plain explanation and dispute form, and the members' disputes (a logged read)."""
    names = {p.person_id: p.full_name or p.person_id for p in view.persons}
    disputes = read_family_disputes(session, user, view.family_id)
    return {
        "members": [
            {"person_id": p.person_id, "name": names[p.person_id], "role": p.role}
            for p in view.persons
        ],
        "disputes": [
            {
                "id": d.id,
                "received": d.received_at.date(),
                "name": names.get(d.person_id, d.person_id),
                "record_id": d.record_id,
                "field": d.field,
                "status": d.status,
                "status_label": STATUSES[d.status],
                "statement": d.statement,
                "outcome_reason": d.outcome_reason,
            }
            for d in disputes
        ],
    }


@router.get("/persons/{person_id}/explanation", response_class=HTMLResponse)
def explanation_page(
    request: Request,
    person_id: PersonId,
    user: CouncilUser,
    session: SessionDep,
    month: Annotated[str | None, Query(pattern=MONTH)] = None,
) -> Response:
    """Why the family is on the list, in plain words, for the conversation with one person:
    printable, in the page's language, without other people's confidential data."""
    explanation = read_plain_explanation(
        session, user, person_id, month=month, lang=request_lang(request)
    )
    return render(request, "subjects/explanation.html.j2", {"explanation": explanation})


@router.get("/persons/{person_id}/export", response_class=HTMLResponse)
def export_page(
    request: Request,
    person_id: PersonId,
    user: CouncilUser,
    session: SessionDep,
    children: Annotated[str, Query(pattern="^[01]$")] = "1",
) -> Response:
    """The person's subject-access export as a printable page (logged as `person.export`)."""
    data = read_person_export(session, user, person_id, children=children == "1")
    catalog = i18n.catalog(request_lang(request))
    names = {data.person.person_id: data.person.full_name}
    names.update({c.person_id: c.full_name for c in data.children})
    return render(
        request,
        "subjects/export.html.j2",
        {
            "data": data,
            "children_included": children == "1",
            "relations": RELATIONS,
            "names": names,
            "records": [_record_row(catalog, r) for r in data.records],
            "statuses": STATUSES,
            "priorities": labels.PRIORITIES,
            "bands": labels.BANDS,
            "actions": labels.ACTIONS,
            "roles": {str(role): label for role, label in ROLE_LABELS.items()},
        },
    )


@router.get("/persons/{person_id}/export.json")
def export_json(
    person_id: PersonId,
    user: CouncilUser,
    session: SessionDep,
    children: Annotated[str, Query(pattern="^[01]$")] = "1",
) -> Response:
    """The same export as a JSON file to hand over (logged as `person.export`)."""
    data = read_person_export(session, user, person_id, children=children == "1")
    return Response(
        content=data.model_dump_json(indent=2).encode("utf-8"),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="subject-access-{person_id}.json"'},
    )


def _dispute_form(
    request: Request,
    session: Session,
    user: Principal,
    person_id: str,
    *,
    form: dict[str, str],
    error: str | None = None,
) -> Response:
    found = read_dispute_form(session, user, person_id)
    catalog = i18n.catalog(request_lang(request))
    return render(
        request,
        "subjects/dispute.html.j2",
        {
            "person": found,
            "records": [_record_row(catalog, r) for r in found.records],
            "form": form,
            "form_error": error,
        },
        status_code=status.HTTP_200_OK if error is None else 422,
    )


@router.get("/persons/{person_id}/disputes/new", response_class=HTMLResponse)
def dispute_page(
    request: Request, person_id: PersonId, user: CouncilUser, session: SessionDep
) -> Response:
    """The form to record a person's dispute: which record (theirs, or their child's under
    18), which field, and what the person says."""
    return _dispute_form(
        request, session, user, person_id, form={"record": "", "field": "", "statement": ""}
    )


@router.post("/persons/{person_id}/disputes", response_class=HTMLResponse)
def record_dispute(
    request: Request,
    person_id: PersonId,
    user: CouncilUser,
    state: StateDep,
    session: WriteSessionDep,
    csrf_token: Annotated[str, Form()] = "",
    record: Annotated[str, Form()] = "",
    field: Annotated[str, Form()] = "",
    statement: Annotated[str, Form()] = "",
) -> Response:
    """Record the dispute as the API does; a refusal shows the form again with the reason."""
    check_csrf(request, state, csrf_token)
    _ = i18n.catalog(request_lang(request)).gettext
    record_type, _sep, record_id = record.partition(":")
    error: str | None = None
    try:
        body = DisputeCreate.model_validate(
            {
                "record_type": record_type or None,
                "record_id": record_id or None,
                "field": field or None,
                "statement": statement,
            }
        )
    except ValidationError:
        error = _("Write what the person says is wrong, in at least 10 characters.")
    else:
        try:
            created = create_dispute(session, user, person_id, body)
        except FieldError:
            error = _("That field is not part of the chosen record.")
    if error is not None:
        form = {"record": record, "field": field, "statement": statement}
        return _dispute_form(request, session, user, person_id, form=form, error=error)
    target = f"/ui/families/{created.family_id}#disputes"
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


def _outcome_page(
    request: Request,
    session: Session,
    user: Principal,
    dispute_id: int,
    *,
    form: dict[str, str],
    error: str | None = None,
) -> Response:
    found = read_dispute(session, user, dispute_id)
    catalog = i18n.catalog(request_lang(request))
    return render(
        request,
        "subjects/outcome.html.j2",
        {
            "found": found,
            "status_label": STATUSES[found.dispute.status],
            "record": None if found.record is None else _record_row(catalog, found.record),
            "form": form,
            "form_error": error,
        },
        status_code=status.HTTP_200_OK if error is None else 422,
    )


@router.get("/disputes/{dispute_id}", response_class=HTMLResponse)
def dispute_outcome_page(
    request: Request, dispute_id: DisputeId, user: CouncilUser, session: SessionDep
) -> Response:
    """A dispute and, while open, the form to record its outcome."""
    return _outcome_page(
        request,
        session,
        user,
        dispute_id,
        form={"outcome": "", "field": "", "new_value": "", "reason": ""},
    )


def parse_value(text: str, current: Any) -> Any:
    """A value typed into the form, read as the type of the stored one (a number, yes/no, a
    list of forms separated by commas, a date or a word); an empty box is no value."""
    text = text.strip()
    if text == "":
        return None
    if isinstance(current, bool):
        lowered = text.lower()
        if lowered in YES:
            return True
        if lowered in NO:
            return False
        return text  # refused by the record's contract, with the field named
    if isinstance(current, int):
        try:
            return int(text)
        except ValueError:
            return text
    if isinstance(current, list):
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


@router.post("/disputes/{dispute_id}/outcome", response_class=HTMLResponse)
def record_outcome(
    request: Request,
    dispute_id: DisputeId,
    user: CouncilUser,
    state: StateDep,
    session: WriteSessionDep,
    csrf_token: Annotated[str, Form()] = "",
    outcome: Annotated[str, Form()] = "",
    field: Annotated[str, Form()] = "",
    new_value: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Record the outcome as the API does (accepted: the record is corrected); a refusal shows
    the form again with the reason."""
    check_csrf(request, state, csrf_token)
    _ = i18n.catalog(request_lang(request)).gettext
    form = {"outcome": outcome, "field": field, "new_value": new_value, "reason": reason}
    found = read_dispute(session, user, dispute_id)
    current = None
    chosen = field or found.dispute.field or ""
    if found.record is not None:
        current = found.record.content.get(chosen)
    data: dict[str, Any] = {"outcome": outcome, "reason": reason}
    if outcome == "accepted" and found.record is not None:
        data.update({"field": chosen or None, "new_value": parse_value(new_value, current)})
    error: str | None = None
    try:
        body = DisputeOutcomeCreate.model_validate(data)
    except ValidationError:
        error = _("Choose accepted or rejected and give the reason in at least 10 characters.")
    else:
        try:
            decide_dispute(session, user, dispute_id, body)
        except FieldError:
            error = _(
                "The record could not be corrected: choose a field of the record and give a "
                "value it allows."
            )
        except ConflictError:
            error = _("The outcome of this dispute has already been recorded.")
    if error is not None:
        return _outcome_page(request, session, user, dispute_id, form=form, error=error)
    target = f"/ui/families/{found.dispute.family_id}#disputes"
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


__all__ = ["family_subject_context", "router"]
