"""`POST /v1/records/...`: submissions of the school, clinic, police and guardianship users, and
their institution's own records (`GET /v1/submissions`, corrections); the council's corrections
of a family's records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Path, Query, Response, status

from service.api_types import MAX_DB_INT
from service.auth.access import require_role
from service.auth.roles import SUBMITTER_ROLES, Principal, UserRole
from service.deps import SessionDep, StateDep, WriteSessionDep
from service.lists.alerts import rescore_alert
from service.records.corrections import correct_own_record, record_correction
from service.records.intake import SubmitResult, submit_record
from service.records.schemas import (
    MAX_SUBMISSIONS_PAGE,
    CorrectionCreate,
    CorrectionRead,
    GuardianshipCareCreate,
    HospitalInjuryCreate,
    MedicalScreeningCreate,
    PoliceSignalCreate,
    RecordCorrectionCreate,
    RecordCreate,
    RecordCreated,
    RecordType,
    RecordVersionRead,
    SchoolSurveyCreate,
    SubmissionsRead,
)
from service.records.submissions import SubmissionFilters, list_submissions

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
guardianship_router = APIRouter(
    tags=["records"], dependencies=[Depends(require_role(UserRole.guardianship))]
)
corrections_router = APIRouter(
    tags=["families"], dependencies=[Depends(require_role(UserRole.council))]
)

School = Annotated[Principal, Depends(require_role(UserRole.school))]
Clinic = Annotated[Principal, Depends(require_role(UserRole.clinic))]
Police = Annotated[Principal, Depends(require_role(UserRole.police))]
Guardianship = Annotated[Principal, Depends(require_role(UserRole.guardianship))]
Council = Annotated[Principal, Depends(require_role(UserRole.council))]
FamilyId = Annotated[str, Path(description="Pseudonymous family id.")]
_CREATED: dict[int | str, dict[str, Any]] = {
    201: {"description": "Stored and committed."},
    409: {"description": "Key reused."},
}


@dataclass(frozen=True)
class Submitter:
    """What every submission route shares: the state, a write session, the response (for the
    replay header) and the `Idempotency-Key`. One dependency, so the three routes differ only in
    their body type, their role and what they do after the commit."""

    state: StateDep
    session: WriteSessionDep
    response: Response
    key: IdempotencyKey = None

    def __call__(self, body: RecordCreate, user: Principal) -> tuple[RecordCreated, SubmitResult]:
        result = submit_record(
            self.session,
            body,
            user=user,
            iin_key=self.state.secrets.iin_hash_key,
            idempotency_key=self.key,
        )
        if result.replayed:
            self.response.headers["Idempotent-Replayed"] = "true"
        created = RecordCreated(
            record_id=result.record_id,
            record_type=result.record_type,
            linked=result.linked,
            alert=result.alert_id is not None,
        )
        return created, result


Submit = Annotated[Submitter, Depends()]
#: The decorator arguments of the three submission routes.
_CREATED_ROUTE: dict[str, Any] = {
    "status_code": status.HTTP_201_CREATED,
    "response_model": RecordCreated,
    "responses": _CREATED,
}


@school_router.post("/v1/records/school-surveys", **_CREATED_ROUTE)
def create_school_survey(body: SchoolSurveyCreate, user: School, submit: Submit) -> RecordCreated:
    """Submit one child's term survey and the teacher's observations.

    The subject is the child's IIN. A child the registry does not know yet is stored unlinked
    and shown to the admin for linking. The answer is `201` only once the record is committed.
    """
    return submit(body, user)[0]


@clinic_router.post("/v1/records/medical-screenings", **_CREATED_ROUTE)
def create_medical_screening(
    body: MedicalScreeningCreate, user: Clinic, submit: Submit
) -> RecordCreated:
    """Submit a violence screening (HITS, WAST, PHQ-2 and findings) from a clinic visit."""
    return submit(body, user)[0]


@clinic_router.post("/v1/records/hospital-injuries", **_CREATED_ROUTE)
def create_hospital_injury(
    body: HospitalInjuryCreate, user: Clinic, submit: Submit
) -> RecordCreated:
    """Submit a hospital-treated injury: one of the recorded outcomes the model learns from.

    Known to the service from the moment it is stored (the server's clock)."""
    return submit(body, user)[0]


@guardianship_router.post("/v1/records/care-placements", **_CREATED_ROUTE)
def create_care_placement(
    body: GuardianshipCareCreate, user: Guardianship, submit: Submit
) -> RecordCreated:
    """Submit a child taken into care (the district's guardianship authority): one of the
    recorded outcomes the model learns from. The subject is the child's IIN."""
    return submit(body, user)[0]


@police_router.post("/v1/records/police-signals", **_CREATED_ROUTE)
def create_police_signal(
    body: PoliceSignalCreate, user: Police, submit: Submit, background: BackgroundTasks
) -> RecordCreated:
    """Submit a police signal: call, offense, protective order, violation, registration.

    Protective orders and court requirements need `valid_until`. A violation, a criminal offense
    or a weapon about a known family raises an alert for the district council and re-scores the
    family at once (after the record is committed).
    """
    created, result = submit(body, user)
    if result.alert_id is not None and not result.replayed:
        background.add_task(rescore_alert, submit.state, result.alert_id)
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


# --- issue 13: the submitting institution's own records (helper B1) -------------------------

submitter_router = APIRouter(
    tags=["records"], dependencies=[Depends(require_role(*SUBMITTER_ROLES))]
)
OwnSubmitter = Annotated[Principal, Depends(require_role(*SUBMITTER_ROLES))]


@submitter_router.get("/v1/submissions", response_model=SubmissionsRead)
def get_submissions(
    user: OwnSubmitter,
    session: SessionDep,
    kind: Annotated[RecordType | None, Query(description="One record kind of your role.")] = None,
    date_from: Annotated[
        dt.date | None, Query(alias="from", description="Event date from (inclusive).")
    ] = None,
    date_to: Annotated[
        dt.date | None, Query(alias="to", description="Event date to (inclusive).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_SUBMISSIONS_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_DB_INT)] = 0,
) -> SubmissionsRead:
    """The records your institution submitted, newest event first: what was reported, the
    record's number and version, whether its subject is linked yet. Never another
    institution's records, never a score. The read is logged."""
    filters = SubmissionFilters(
        kind=kind, date_from=date_from, date_to=date_to, limit=limit, offset=offset
    )
    return list_submissions(session, user, filters)


@submitter_router.post(
    "/v1/records/{record_type}/{record_id}/corrections",
    status_code=status.HTTP_201_CREATED,
    response_model=RecordVersionRead,
    responses={404: {"description": "Your institution has no such record."}},
)
def post_own_correction(
    record_type: RecordType,
    record_id: Annotated[str, Path(max_length=64)],
    body: RecordCorrectionCreate,
    user: OwnSubmitter,
    session: WriteSessionDep,
) -> RecordVersionRead:
    """Correct one of your institution's own records (any kind, linked or not): the record
    gets the next version, the old version is kept, and the correction is logged. Another
    institution's record answers 404, as one that does not exist."""
    return correct_own_record(session, record_type, record_id, body, user=user)
