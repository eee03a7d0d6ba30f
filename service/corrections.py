"""Corrections of records: one field at a time, validated against the data contract, logged.

The record keeps the corrected value (features read it from then on); the correction row keeps
the old value, the reason and who corrected it, so nothing is lost.
"""

from __future__ import annotations

import json
from typing import Any, Final

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from features.contracts import MedicalScreening, PoliceSignal, SchoolSurvey
from service.errors import FieldError, NotFoundError
from service.families import content_of
from service.intake import RECORD_TYPES
from service.roles import Principal
from service.schemas import CorrectionCreate, CorrectionRead
from service.tables import Correction, Family

_CONTENT: Final[dict[str, type[BaseModel]]] = {
    "school_survey": SchoolSurvey,
    "medical_screening": MedicalScreening,
    "police_signal": PoliceSignal,
}


def correct_record(
    session: Session, family: Family, body: CorrectionCreate, *, user: Principal
) -> CorrectionRead:
    """Apply and record one correction (flushes; the caller commits with its log entry)."""
    row_type = RECORD_TYPES[body.record_type][1]
    row = session.get(row_type, body.record_id)
    if row is None or row.family_id != family.family_id:
        raise NotFoundError(f"record_id: no {body.record_type} {body.record_id!r} of this family")
    content_model = _CONTENT[body.record_type]
    if body.field not in content_model.model_fields:
        allowed = ", ".join(content_model.model_fields)
        raise FieldError(("body", "field"), f"field: expected one of {allowed}, got {body.field!r}")
    content: dict[str, Any] = content_of(row)
    old = content[body.field]
    try:
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
