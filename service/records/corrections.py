"""Corrections of records: one field at a time, validated against the data contract, logged.

The record keeps the corrected value (features read it from then on); the correction row keeps
the old value, the reason and who corrected it, so nothing is lost.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Final

from pydantic import BaseModel, Strict, TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from features.contracts import MedicalScreening, PoliceSignal, SchoolSurvey
from service.api_types import SCALAR_TYPES
from service.auth.roles import Principal
from service.errors import FieldError, NotFoundError
from service.families.scope import logged_family_write
from service.records.kinds import RECORD_TYPES, content_of
from service.records.schemas import CorrectionCreate, CorrectionRead
from service.storage.tables import Correction, Family

_CONTENT: Final[dict[str, type[BaseModel]]] = {
    "school_survey": SchoolSurvey,
    "medical_screening": MedicalScreening,
    "police_signal": PoliceSignal,
}


def correct_record(
    session: Session, family: Family, body: CorrectionCreate, *, user: Principal
) -> CorrectionRead:
    """Apply and record one correction (flushes; `record_correction` commits it with its
    access-log entry)."""
    row_type = RECORD_TYPES[body.record_type][1]
    row = session.get(row_type, body.record_id)
    if row is None or row.family_id != family.family_id:
        raise NotFoundError(f"record_id: the family has no such {body.record_type} record")
    content_model = _CONTENT[body.record_type]
    if body.field not in content_model.model_fields:
        allowed = ", ".join(content_model.model_fields)
        raise FieldError(("body", "field"), f"field: expected one of {allowed}, got another name")
    content: dict[str, Any] = content_of(row)
    old = content[body.field]
    annotation = content_model.model_fields[body.field].annotation
    try:
        if annotation in SCALAR_TYPES:  # as strict as a submission: no "3" or true for 3
            strict: Any = Annotated[annotation, Strict()]
            TypeAdapter(strict).validate_python(body.new_value)
        checked = content_model.model_validate({**content, body.field: body.new_value})
    except ValidationError as exc:
        messages = "; ".join(str(e["msg"]) for e in exc.errors(include_input=False))
        raise FieldError(("body", "new_value"), f"new_value: {messages}") from None
    new = checked.model_dump(mode="json")[body.field]
    stored = ",".join(new) if body.field == "forms" else getattr(checked, body.field)
    setattr(row, body.field, stored)
    correction = Correction(
        record_type=body.record_type,
        record_id=body.record_id,
        family_id=family.family_id,
        field=body.field,
        old_value=json.dumps(old, default=str),
        new_value=json.dumps(new, default=str),
        reason=body.reason.strip(),
        user_id=user.id,
    )
    session.add(correction)
    session.flush()
    return CorrectionRead(
        id=correction.id,
        record_type=correction.record_type,
        record_id=correction.record_id,
        field=correction.field,
        old_value=old,
        new_value=new,
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
