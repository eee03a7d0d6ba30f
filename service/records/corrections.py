"""Corrections of records: validated against the data contract, versioned, logged.

Two ways in, one set of rules (`apply_changes`):
- the council corrects one field of a record of a family of its district (`record_correction`,
  `POST /v1/families/{family_id}/corrections`: a family's right to have its records corrected);
- the submitting institution corrects its own record, any kind, linked to a family or not
  (`correct_own_record`, `POST /v1/records/{record_type}/{record_id}/corrections` and the
  "My submissions" page): several fields at once, the event date included.

The record keeps the corrected values (features read them from then on). Nothing is lost: the
first correction stores the record as first submitted as version 1 in `record_versions`, and
every correction adds the next version with its reason and author; each changed field is also
a `corrections` row (old and new value), which the family's export shows. Both are written,
with the access-log entry, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Annotated, Any, Final

from pydantic import BaseModel, Strict, TypeAdapter, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from features.contracts import (
    GuardianshipCare,
    HospitalInjury,
    MedicalScreening,
    PoliceSignal,
    SchoolSurvey,
)
from service.api_types import SCALAR_TYPES
from service.audit import access_log
from service.auth.access import check_role
from service.auth.roles import Principal, UserRole
from service.errors import FieldError, NotFoundError
from service.families.scope import logged_family_write
from service.records.kinds import RECORD_SOURCES, RECORD_TYPES, content_of
from service.records.schemas import (
    EARLIEST_EVENT_DATE,
    MAX_VALIDITY,
    CorrectionCreate,
    CorrectionRead,
    RecordCorrectionCreate,
    RecordVersionRead,
)
from service.storage.tables import Correction, Family, RecordBase, RecordVersion, User
from service.storage.transaction import transaction

_CONTENT: Final[dict[str, type[BaseModel]]] = {
    "school_survey": SchoolSurvey,
    "medical_screening": MedicalScreening,
    "police_signal": PoliceSignal,
    "hospital_injury": HospitalInjury,
    "guardianship_care": GuardianshipCare,
}
#: The role that submits each record type (only its institution corrects its own records).
SUBMITTER_ROLE: Final[dict[str, UserRole]] = {
    record_type: UserRole(source) for record_type, source, _row in RECORD_SOURCES
}
#: Access-log action of a correction by the submitting institution.
OWN_CORRECTION_ACTION: Final = "record.correction"


def institution_of(user: Principal) -> str:
    """The institution a user submits for, as intake stores it on every record."""
    return user.institution_id or f"user:{user.username}"


def record_types_of(user: Principal) -> tuple[str, ...]:
    """The record types `user`'s role submits (none for a role that submits nothing)."""
    return tuple(t for t, role in SUBMITTER_ROLE.items() if role is user.role)


def own_record(session: Session, user: Principal, record_type: str, record_id: str) -> RecordBase:
    """The record if `user`'s institution submitted it. A record type another role submits
    is refused (403); a record of another institution answers exactly as one that does not
    exist (404)."""
    if record_type not in SUBMITTER_ROLE:
        raise NotFoundError("record_type: no such kind of record")
    check_role(user, (SUBMITTER_ROLE[record_type],))
    row = session.get(RECORD_TYPES[record_type][1], record_id)
    if row is None or row.institution_id != institution_of(user):
        raise NotFoundError(f"record_id: your institution has no such {record_type} record")
    return row


def _stored_json(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True, ensure_ascii=False)


def _check_value(model: type[BaseModel], field: str, value: Any) -> None:
    annotation = model.model_fields[field].annotation
    if annotation in SCALAR_TYPES:  # as strict as a submission: no "3" or true for 3
        strict: Any = Annotated[annotation, Strict()]
        TypeAdapter(strict).validate_python(value)


def _event_date(value: Any, *, today: dt.date) -> dt.date:
    try:
        day = TypeAdapter(dt.date).validate_python(value)
    except ValidationError:
        raise FieldError(
            ("body", "changes", "event_date"), "event_date: expected a date as YYYY-MM-DD"
        ) from None
    if not EARLIEST_EVENT_DATE <= day <= today:
        raise FieldError(
            ("body", "changes", "event_date"),
            f"event_date: expected a date from {EARLIEST_EVENT_DATE} to today",
        )
    return day


def _check_validity(content: Mapping[str, Any], event_date: dt.date) -> None:
    until = content.get("valid_until")
    if isinstance(until, dt.date) and not event_date <= until <= event_date + MAX_VALIDITY:
        raise FieldError(
            ("body", "changes", "valid_until"),
            "valid_until: expected a date from event_date to 5 years after it",
        )


def _next_version(session: Session, record_type: str, row: RecordBase) -> int:
    """The number of the version a correction adds, writing version 1 (the record as first
    stored) when this is the record's first correction."""
    latest = session.scalar(
        select(func.max(RecordVersion.version)).where(
            RecordVersion.record_type == record_type, RecordVersion.record_id == row.record_id
        )
    )
    if latest is not None:
        return int(latest) + 1
    session.add(
        RecordVersion(
            record_type=record_type,
            record_id=row.record_id,
            version=1,
            event_date=row.event_date,
            content=_stored_json(content_of(row)),
            reason=None,
            user_id=row.submitted_by,
            created_at=row.created_at,
        )
    )
    return 2


def apply_changes(
    session: Session,
    record_type: str,
    row: RecordBase,
    changes: Mapping[str, Any],
    *,
    reason: str,
    user: Principal,
    event_date: bool = False,
    today: dt.date | None = None,
) -> tuple[RecordVersion, list[Correction]]:
    """Validate `changes` (content fields; `event_date` too when allowed) against the record
    kind's contract, store them on the record, add the next version and one correction row per
    changed field. Flushes; the caller commits (with its log entry).

    A change to the stored value itself is no change; no change at all is refused (422)."""
    today = today or dt.datetime.now(dt.UTC).date()
    model = _CONTENT[record_type]
    allowed = [*model.model_fields, *(["event_date"] if event_date else [])]
    unknown = [name for name in changes if name not in allowed]
    if unknown:
        raise FieldError(
            ("body", "field"), f"field: expected one of {', '.join(allowed)}, got another name"
        )
    content: dict[str, Any] = content_of(row)
    new_date = row.event_date
    try:
        for name, value in changes.items():
            if name != "event_date":
                _check_value(model, name, value)
        checked = model.model_validate(
            {**content, **{k: v for k, v in changes.items() if k != "event_date"}}
        )
    except ValidationError as exc:
        errors = exc.errors(include_input=False)
        if not event_date:  # the council's one-field correction names its `new_value`
            messages = "; ".join(str(e["msg"]) for e in errors)
            raise FieldError(("body", "new_value"), f"new_value: {messages}") from None
        # Only the field name, never the value (it may be anything the client sent).
        where = [str(e["loc"][0]) for e in errors if e["loc"] and str(e["loc"][0]) in allowed]
        name = where[0] if where else "changes"
        messages = "; ".join(str(e["msg"]) for e in errors)
        raise FieldError(("body", "changes", name), f"{name}: {messages}") from None
    if "event_date" in changes:
        new_date = _event_date(changes["event_date"], today=today)
    _check_validity(checked.model_dump(), new_date)
    old_json: dict[str, Any] = {
        **json.loads(_stored_json(content)),
        "event_date": str(row.event_date),
    }
    new_json: dict[str, Any] = {**checked.model_dump(mode="json"), "event_date": str(new_date)}
    changed = [name for name in allowed if name in changes and old_json[name] != new_json[name]]
    if not changed:
        raise FieldError(
            ("body", "changes"), "changes: expected at least one value other than the stored one"
        )
    version = _next_version(session, record_type, row)
    corrections: list[Correction] = []
    for name in changed:
        if name == "event_date":
            row.event_date = new_date
        else:
            stored = ",".join(new_json[name]) if name == "forms" else getattr(checked, name)
            setattr(row, name, stored)
        corrections.append(
            Correction(
                record_type=record_type,
                record_id=row.record_id,
                family_id=row.family_id,
                field=name,
                old_value=json.dumps(old_json[name], default=str),
                new_value=json.dumps(new_json[name], default=str),
                reason=reason.strip(),
                user_id=user.id,
            )
        )
    stored_version = RecordVersion(
        record_type=record_type,
        record_id=row.record_id,
        version=version,
        event_date=new_date,
        content=_stored_json(content_of(row)),
        reason=reason.strip(),
        user_id=user.id,
    )
    session.add_all([*corrections, stored_version])
    session.flush()
    return stored_version, corrections


def version_read(version: RecordVersion) -> RecordVersionRead:
    return RecordVersionRead(
        record_type=version.record_type,
        record_id=version.record_id,
        version=version.version,
        event_date=version.event_date,
        content=json.loads(version.content),
        reason=version.reason,
        created_at=version.created_at,
        user_id=version.user_id,
    )


def correct_record(
    session: Session, family: Family, body: CorrectionCreate, *, user: Principal
) -> CorrectionRead:
    """Apply and record the council's correction of one field (flushes; `record_correction`
    commits it with its access-log entry)."""
    row_type = RECORD_TYPES[body.record_type][1]
    row = session.get(row_type, body.record_id)
    if row is None or row.family_id != family.family_id:
        raise NotFoundError(f"record_id: the family has no such {body.record_type} record")
    _version, (correction,) = apply_changes(
        session, body.record_type, row, {body.field: body.new_value}, reason=body.reason,
        user=user,
    )  # fmt: skip
    return CorrectionRead(
        id=correction.id,
        record_type=correction.record_type,
        record_id=correction.record_id,
        field=correction.field,
        old_value=json.loads(correction.old_value or "null"),
        new_value=json.loads(correction.new_value or "null"),
        reason=correction.reason,
        created_at=correction.created_at,
    )


def record_correction(
    session: Session, family_id: str, body: CorrectionCreate, *, user: Principal
) -> CorrectionRead:
    """Check the family's district, apply the correction, log it, and commit both together."""
    with logged_family_write(session, user, family_id, action="family.correction") as family:
        correction = correct_record(session, family, body, user=user)
    return correction


def correct_own_record(
    session: Session,
    record_type: str,
    record_id: str,
    body: RecordCorrectionCreate,
    *,
    user: Principal,
    today: dt.date | None = None,
) -> RecordVersionRead:
    """The submitting institution corrects its own record: a new version (the old one kept),
    the correction rows and the access-log entry, committed together; nothing on a refusal."""
    with transaction(session):
        row = own_record(session, user, record_type, record_id)
        version, _corrections = apply_changes(
            session, record_type, row, body.changes, reason=body.reason, user=user,
            event_date=True, today=today,
        )  # fmt: skip
        family = session.get(Family, row.family_id) if row.family_id is not None else None
        access_log.append(
            session,
            user=user,
            action=OWN_CORRECTION_ACTION,
            family_id=row.family_id,
            district=family.district if family is not None else user.district,
        )
        result = version_read(version)
    return result


def versions_of(session: Session, record_type: str, record_id: str) -> list[RecordVersionRead]:
    """Every stored version of a record, oldest first (none until its first correction)."""
    rows = session.scalars(
        select(RecordVersion)
        .where(RecordVersion.record_type == record_type, RecordVersion.record_id == record_id)
        .order_by(RecordVersion.version)
    )
    return [version_read(v) for v in rows]


def authored_by_institution(
    session: Session, versions: list[RecordVersionRead], institution: str
) -> set[int]:
    """The numbers of the versions whose author belongs to `institution` (as intake stores it
    on a record: `institution_of`). A version the council wrote (its corrections, accepted
    disputes) is not among them."""
    ids = {v.user_id for v in versions if v.user_id is not None}
    if not ids:
        return set()
    rows = session.execute(
        select(User.id, User.institution_id, User.username).where(User.id.in_(ids))
    )
    own = {uid for uid, inst, name in rows if (inst or f"user:{name}") == institution}
    return {v.version for v in versions if v.user_id in own}
