"""Intake of agency records: validation beyond the schema, subject linking, idempotency, alerts.

`submit_record` commits before it returns, so a `201` always means the record is stored. The
idempotency key is written in the same transaction as the record: a retry with the same key and
body gets the same record id back, with another body a `ConflictError` (409).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from features.contracts import ALERT_KINDS, PoliceKind
from service.audit.access_log import begin_read, end_read
from service.auth.roles import Principal
from service.auth.security import hash_iin
from service.errors import ConflictError, FieldError
from service.records.kinds import RECORD_TYPES, content_columns, record_type_of
from service.records.schemas import PoliceSignalCreate, RecordCreate
from service.storage.tables import Alert, Family, IdempotencyKey, Person
from service.storage.transaction import transaction

MAX_KEY_CHARS: Final = 200


@dataclass(frozen=True)
class SubmitResult:
    record_id: str
    record_type: str
    linked: bool
    alert_id: int | None
    replayed: bool


def body_hash(body: RecordCreate) -> str:
    """A hash of the validated body (whitespace and key order do not matter)."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def submit_record(
    session: Session,
    body: RecordCreate,
    *,
    user: Principal,
    iin_key: bytes,
    idempotency_key: str | None = None,
    today: dt.date | None = None,
) -> SubmitResult:
    """Store one agency record about the subject `body.subject_iin`, and commit.

    A subject unknown to the registry is stored unlinked (no family), not rejected. A police
    signal of an alert kind about a known family also stores an alert, in the same transaction.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    if body.event_date > today:
        raise FieldError(("body", "event_date"), "event_date: expected a date not after today")
    if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_KEY_CHARS:
        raise FieldError(
            ("header", "Idempotency-Key"),
            f"Idempotency-Key: expected 1 to {MAX_KEY_CHARS} characters, "
            f"got {len(idempotency_key)}",
        )
    record_type = record_type_of(body)
    digest = body_hash(body)
    try:
        return _submit(
            session, body, record_type, digest, user=user, iin_key=iin_key,
            idempotency_key=idempotency_key, today=today,
        )  # fmt: skip
    except IntegrityError:
        # A concurrent request stored the same idempotency key first (the insert is rolled
        # back already); answer as a retry would be answered.
        if idempotency_key is None:
            raise
        replay = _replay(session, user.id, idempotency_key, digest)
        if replay is None:
            raise
        return replay


def _replay(session: Session, user_id: int, key: str, digest: str) -> SubmitResult | None:
    stored = session.get(IdempotencyKey, (user_id, key))
    if stored is None:
        return None
    if stored.body_hash != digest:
        raise ConflictError(
            "Idempotency-Key: this key was already used with a different body; "
            "use a new key for a new record"
        )
    row_type = RECORD_TYPES[stored.record_type][1]
    row = session.get(row_type, stored.record_id)
    alert_id = session.scalar(select(Alert.id).where(Alert.record_id == stored.record_id))
    result = SubmitResult(
        record_id=stored.record_id,
        record_type=stored.record_type,
        linked=row is not None and row.family_id is not None,
        alert_id=alert_id,
        replayed=True,
    )
    end_read(session)
    return result


def _submit(
    session: Session,
    body: RecordCreate,
    record_type: str,
    digest: str,
    *,
    user: Principal,
    iin_key: bytes,
    idempotency_key: str | None,
    today: dt.date,
) -> SubmitResult:
    # Look-ups first, in a read transaction: the write lock then covers only the inserts and
    # the commit. A concurrent request with the same key that slips in between is caught by the
    # key's primary key (IntegrityError -> answered as a replay by the caller).
    begin_read(session)
    if idempotency_key is not None:
        replay = _replay(session, user.id, idempotency_key, digest)
        if replay is not None:
            return replay
    iin_hash = hash_iin(body.subject_iin, key=iin_key)
    found = session.execute(
        select(Person.person_id, Person.family_id, Family.district)
        .join(Family, Family.family_id == Person.family_id)
        .where(Person.iin_hash == iin_hash)
    ).first()
    end_read(session)
    person = found
    _schema, row_type, prefix = RECORD_TYPES[record_type]
    record_id = f"{prefix}-{uuid.uuid4().hex}"
    row = row_type(
        record_id=record_id,
        family_id=person.family_id if person else None,
        person_id=person.person_id if person else None,
        subject_iin_hash=iin_hash,
        institution_id=user.institution_id or f"user:{user.username}",
        submitted_by=user.id,
        event_date=body.event_date,
        knowledge_date=today,
        **content_columns(body),
    )
    with transaction(session):  # committed before the caller answers 201
        session.add(row)
        if idempotency_key is not None:
            session.add(
                IdempotencyKey(
                    user_id=user.id,
                    key=idempotency_key,
                    body_hash=digest,
                    record_type=record_type,
                    record_id=record_id,
                )
            )
        session.flush()  # the record first: the alert refers to it
        alert: Alert | None = None
        if (
            isinstance(body, PoliceSignalCreate)
            and PoliceKind(body.kind) in ALERT_KINDS
            and person is not None
        ):
            alert = Alert(
                record_id=record_id,
                family_id=person.family_id,
                district=person.district,
                kind=str(body.kind),
                event_date=body.event_date,
            )
            session.add(alert)
        session.flush()
        alert_id = alert.id if alert is not None else None
    return SubmitResult(
        record_id=record_id,
        record_type=record_type,
        linked=person is not None,
        alert_id=alert_id,
        replayed=False,
    )
