"""`/v1/admin/...`: the retention report and purge, and deletion on a legal ground (admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from service.auth.access import require_role
from service.auth.roles import Principal, UserRole
from service.deps import SessionDep, StateDep, WriteSessionDep
from service.retention.deletion import delete_person, delete_record
from service.retention.policy import RetentionPolicy
from service.retention.run import run_retention
from service.retention.schemas import DeletionCreate, DeletionRead, RecordType, RetentionReport

router = APIRouter(tags=["retention"], dependencies=[Depends(require_role(UserRole.admin))])

Admin = Annotated[Principal, Depends(require_role(UserRole.admin))]
RecordId = Annotated[str, Path(min_length=1, max_length=64, description="The record's id.")]
PersonId = Annotated[
    str, Path(min_length=1, max_length=64, description="Pseudonymous person id (the register's).")
]


@router.get("/v1/admin/retention", response_model=RetentionReport)
def retention_report(user: Admin, state: StateDep, session: SessionDep) -> RetentionReport:
    """What is past its retention period today (a dry run: nothing is changed): families by
    district, unlinked records, upload reports and left-over upload files. Counts only; the
    read is logged."""
    policy = RetentionPolicy.of(state.settings)
    home = state.settings.resolved_home
    return run_retention(session, policy, user=user, home=home, apply=False)


@router.post("/v1/admin/retention/purge", response_model=RetentionReport)
def retention_purge(user: Admin, state: StateDep, session: WriteSessionDep) -> RetentionReport:
    """Destroy what is past its retention period: each family in its own transaction, with a
    tombstone and an access-log entry (counts and kinds, no personal data). The stored lists
    keep the purged families' rows under a pseudonym (docs/data-protection.md)."""
    policy = RetentionPolicy.of(state.settings)
    home = state.settings.resolved_home
    return run_retention(session, policy, user=user, home=home, apply=True)


@router.post("/v1/admin/records/{record_type}/{record_id}/delete", response_model=DeletionRead)
def post_record_deletion(
    record_type: RecordType,
    record_id: RecordId,
    body: DeletionCreate,
    user: Admin,
    session: WriteSessionDep,
) -> DeletionRead:
    """Delete one agency record on a legal ground, with a written reason: the record, its alert,
    corrections, versions and disputes go; a tombstone (no content) stays; the lists that used
    it are marked; the deletion is logged."""
    return delete_record(session, record_type, record_id, body, user=user)


@router.post("/v1/admin/persons/{person_id}/delete", response_model=DeletionRead)
def post_person_deletion(
    person_id: PersonId, body: DeletionCreate, user: Admin, session: WriteSessionDep
) -> DeletionRead:
    """Delete one person of the register on a legal ground, with every record about them and
    what derives from it; a tombstone (no content) stays; the lists that hold the family are
    marked; the deletion is logged."""
    return delete_person(session, person_id, body, user=user)
