"""`POST /v1/records/...`: submissions of the school, clinic and police users; and the council's
corrections of a family's records."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Path, Response, status

from service.auth.access import require_role
from service.auth.roles import Principal, UserRole
from service.deps import StateDep, WriteSessionDep
from service.lists.alerts import rescore_alert
from service.records.corrections import record_correction
from service.records.intake import SubmitResult, submit_record
from service.records.schemas import (
    CorrectionCreate,
    CorrectionRead,
    MedicalScreeningCreate,
    PoliceSignalCreate,
    RecordCreate,
    RecordCreated,
    SchoolSurveyCreate,
)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Makes retries safe: the same key and body return the same record; the "
        "same key with another body is refused with 409.",
    ),
]

school_router = APIRouter(tags=["records"], dependencies=[Depends(require_role(UserRole.school))])
clinic_router = APIRouter(tags=["records"], dependencies=[Depends(require_role(UserRole.clinic))])
police_router = APIRouter(tags=["records"], dependencies=[Depends(require_role(UserRole.police))])
corrections_router = APIRouter(
    tags=["families"], dependencies=[Depends(require_role(UserRole.council))]
)

School = Annotated[Principal, Depends(require_role(UserRole.school))]
Clinic = Annotated[Principal, Depends(require_role(UserRole.clinic))]
Police = Annotated[Principal, Depends(require_role(UserRole.police))]
Council = Annotated[Principal, Depends(require_role(UserRole.council))]
FamilyId = Annotated[str, Path(description="Pseudonymous family id.")]
_CREATED: dict[int | str, dict[str, Any]] = {
    201: {"description": "Stored and committed."},
    409: {"description": "Key reused."},
}


def _submit(
    body: RecordCreate,
    user: Principal,
    key: str | None,
    state: StateDep,
    session: WriteSessionDep,
    response: Response,
) -> tuple[RecordCreated, SubmitResult]:
    result = submit_record(
        session, body, user=user, iin_key=state.secrets.iin_hash_key, idempotency_key=key
    )
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    created = RecordCreated(
        record_id=result.record_id,
        record_type=result.record_type,
        linked=result.linked,
        alert=result.alert_id is not None,
    )
    return created, result


@school_router.post(
    "/v1/records/school-surveys",
    status_code=status.HTTP_201_CREATED,
    response_model=RecordCreated,
    responses=_CREATED,
)
def create_school_survey(
    body: SchoolSurveyCreate,
    user: School,
    state: StateDep,
    session: WriteSessionDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> RecordCreated:
    """Submit one child's term survey and the teacher's observations.

    The subject is the child's IIN. A child the registry does not know yet is stored unlinked
    and shown to the admin for linking. The answer is `201` only once the record is committed.
    """
    return _submit(body, user, idempotency_key, state, session, response)[0]


@clinic_router.post(
    "/v1/records/medical-screenings",
    status_code=status.HTTP_201_CREATED,
    response_model=RecordCreated,
    responses=_CREATED,
)
def create_medical_screening(
    body: MedicalScreeningCreate,
    user: Clinic,
    state: StateDep,
    session: WriteSessionDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> RecordCreated:
    """Submit a violence screening (HITS, WAST, PHQ-2 and findings) from a clinic visit."""
    return _submit(body, user, idempotency_key, state, session, response)[0]


@police_router.post(
    "/v1/records/police-signals",
    status_code=status.HTTP_201_CREATED,
    response_model=RecordCreated,
    responses=_CREATED,
)
def create_police_signal(
    body: PoliceSignalCreate,
    user: Police,
    state: StateDep,
    session: WriteSessionDep,
    response: Response,
    background: BackgroundTasks,
    idempotency_key: IdempotencyKey = None,
) -> RecordCreated:
    """Submit a police signal: call, offense, protective order, violation, registration.

    Protective orders and court requirements need `valid_until`. A violation, a criminal offense
    or a weapon about a known family raises an alert for the district council and re-scores the
    family at once (after the record is committed).
    """
    created, result = _submit(body, user, idempotency_key, state, session, response)
    if result.alert_id is not None and not result.replayed:
        background.add_task(rescore_alert, state, result.alert_id)
    return created


@corrections_router.post(
    "/v1/families/{family_id}/corrections",
    status_code=status.HTTP_201_CREATED,
    response_model=CorrectionRead,
)
def post_correction(
    family_id: FamilyId, body: CorrectionCreate, user: Council, session: WriteSessionDep
) -> CorrectionRead:
    """Correct one content field of one of the family's records (a family's right to have its
    records corrected). The old value is kept in the correction, which is itself logged.
    Lists already generated are not changed (snapshots are immutable)."""
    return record_correction(session, family_id, body, user=user)
