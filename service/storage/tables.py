"""SQLAlchemy models of the service's storage. Migrations in `service/storage/migrations`
mirror them.

Agency records keep the columns of the data contracts in `features.contracts`, so the loader in
`service.storage.events` turns them into the `Events` frames the feature pipeline reads. Forms of
violence are stored as a comma-separated string (`"physical,psychological"`). Subjects are
identified by a keyed hash of the IIN only; the IIN itself is never stored.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> dt.datetime:
    """Naive UTC now: stored the same way by SQLite and PostgreSQL."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    district: Mapped[str | None] = mapped_column(String(64))
    institution_id: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Carried in every access token: raised by a reset, a disable and a logout, so every
    # token issued before stops working at once (`service.auth.sessions`).
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set by a reset: the one-time password signs in once, and only to change the password.
    password_change_required: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # Issue 14 (regional/ministry statistics): the region of a `regional` user (a region of the
    # registry, `families.region`); null for every other role.
    region: Mapped[str | None] = mapped_column(String(64))


class Family(Base):
    __tablename__ = "families"

    family_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str] = mapped_column(String(64))
    district: Mapped[str] = mapped_column(String(64), index=True)
    urban: Mapped[bool] = mapped_column(Boolean)
    n_children: Mapped[int] = mapped_column(Integer)
    # Protected attributes: kept for fairness audits only, never model features.
    ethnicity: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(64))
    income_group: Mapped[str] = mapped_column(String(64))
    disability_in_household: Mapped[bool] = mapped_column(Boolean)
    single_parent: Mapped[bool] = mapped_column(Boolean)


class Person(Base):
    __tablename__ = "persons"

    person_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.family_id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    sex: Mapped[str] = mapped_column(String(8))
    birth_year: Mapped[int] = mapped_column(Integer)
    full_name: Mapped[str] = mapped_column(String(200))
    iin_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # From the register's monthly changes: the person died (kept: their records stay).
    died_on: Mapped[dt.date | None] = mapped_column(Date)


class RecordBase(Base):
    """Columns every agency record carries (contracts.RECORD_COLUMNS plus provenance)."""

    __abstract__ = True

    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Null while the subject is unknown to the registry ("unlinked", shown to the admin).
    family_id: Mapped[str | None] = mapped_column(ForeignKey("families.family_id"), index=True)
    person_id: Mapped[str | None] = mapped_column(ForeignKey("persons.person_id"))
    subject_iin_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    institution_id: Mapped[str] = mapped_column(String(64))
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    event_date: Mapped[dt.date] = mapped_column(Date)
    knowledge_date: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # True for the admin's historical uploads, which keep their source's knowledge dates.
    historical: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The bulk upload (`imports.id`) that stored the row; null for single submissions.
    import_id: Mapped[int | None] = mapped_column(Integer)


class SchoolSurveyRow(RecordBase):
    __tablename__ = "school_surveys"

    feels_safe: Mapped[int] = mapped_column(Integer)
    afraid_of_adult: Mapped[bool] = mapped_column(Boolean)
    seen_violence: Mapped[bool] = mapped_column(Boolean)
    hurt_by_adult: Mapped[bool] = mapped_column(Boolean)
    hunger_neglect: Mapped[bool] = mapped_column(Boolean)
    wants_counsellor: Mapped[bool] = mapped_column(Boolean)
    unexplained_injury: Mapped[bool] = mapped_column(Boolean)
    behaviour_change: Mapped[bool] = mapped_column(Boolean)
    days_absent: Mapped[int] = mapped_column(Integer)


class MedicalScreeningRow(RecordBase):
    __tablename__ = "medical_screenings"

    hits_hurt: Mapped[int] = mapped_column(Integer)
    hits_insult: Mapped[int] = mapped_column(Integer)
    hits_threaten: Mapped[int] = mapped_column(Integer)
    hits_scream: Mapped[int] = mapped_column(Integer)
    wast_tension: Mapped[str] = mapped_column(String(16))
    wast_arguments: Mapped[str] = mapped_column(String(16))
    injury_inconsistent: Mapped[bool] = mapped_column(Boolean)
    pregnant: Mapped[bool] = mapped_column(Boolean)
    phq2: Mapped[int] = mapped_column(Integer)
    alcohol_concern: Mapped[bool] = mapped_column(Boolean)
    forms: Mapped[str] = mapped_column(String(128), default="")


class PoliceSignalRow(RecordBase):
    __tablename__ = "police_signals"

    kind: Mapped[str] = mapped_column(String(32))
    forms: Mapped[str] = mapped_column(String(128), default="")
    valid_until: Mapped[dt.date | None] = mapped_column(Date)


class HospitalInjuryRow(RecordBase):
    """A hospital-treated injury (clinic): an outcome of the label."""

    __tablename__ = "hospital_injuries"

    admitted: Mapped[bool] = mapped_column(Boolean)
    forms: Mapped[str] = mapped_column(String(128), default="")


class CarePlacementRow(RecordBase):
    """A child taken into care (guardianship authority): an outcome of the label."""

    __tablename__ = "care_placements"

    placement: Mapped[str] = mapped_column(String(32))
    temporary: Mapped[bool] = mapped_column(Boolean)


class OutcomeRow(Base):
    """Historical outcomes of an uploaded contract directory (hospital injuries and children
    taken into care without a subject). Live outcomes are the records themselves (police
    offenses and violations, `hospital_injuries`, `care_placements`): see
    `service.storage.events`."""

    __tablename__ = "outcomes"

    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.family_id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    event_date: Mapped[dt.date] = mapped_column(Date)
    knowledge_date: Mapped[dt.date] = mapped_column(Date)
    import_id: Mapped[int | None] = mapped_column(Integer)


class ImportJob(Base):
    """One bulk upload (`POST /v1/imports`): who, what kind, its state and result. Never the
    file's name or content (a name may be in it)."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    file_format: Mapped[str] = mapped_column(String(16))
    historical: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))  # queued | running | done | failed
    rows: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    already_stored: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[str | None] = mapped_column(Text)  # JSON: the report
    owner: Mapped[str | None] = mapped_column(String(128))  # host:pid running the job
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class IdempotencyKey(Base):
    """Written in the same transaction as the record, so a retry after a crash is answered right."""

    __tablename__ = "idempotency_keys"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Alert(Base):
    """A police signal of an alert kind about a known family, re-scored at once."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("police_signals.record_id"), unique=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.family_id"), index=True)
    district: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    event_date: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    scored_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    probability: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(16))
    model_version: Mapped[str | None] = mapped_column(String(64))


class Decision(Base):
    """A council decision. Never edited: a new decision supersedes an older one."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.family_id"), index=True)
    district: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    measures: Mapped[str] = mapped_column(Text)  # JSON list of catalogue codes
    priority: Mapped[str] = mapped_column(String(8))  # raise | keep | lower
    reason: Mapped[str] = mapped_column(Text, default="")
    list_month: Mapped[str | None] = mapped_column(String(7))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AccessLogEntry(Base):
    """Append-only, hash-chained: hash = sha256(previous hash + canonical JSON of the entry)."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))  # ISO UTC, exact text is part of the hash
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    family_id: Mapped[str | None] = mapped_column(String(64), index=True)
    district: Mapped[str | None] = mapped_column(String(64))
    list_month: Mapped[str | None] = mapped_column(String(7))
    hash: Mapped[str] = mapped_column(String(64))


class ListSnapshot(Base):
    """An immutable monthly list of one district, with everything needed to reproduce it."""

    __tablename__ = "list_snapshots"
    __table_args__ = (UniqueConstraint("district", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))
    as_of: Mapped[dt.date] = mapped_column(Date)
    model_version: Mapped[str] = mapped_column(String(64))
    #: "model" (the champion's calibrated scores) or "checklist" (the interim list before the
    #: first model: `model.baselines.ChecklistBaseline`, no probability, no band).
    ranker: Mapped[str] = mapped_column(String(16), default="model", server_default="model")
    data_fingerprint: Mapped[str] = mapped_column(String(64))
    capacity: Mapped[float] = mapped_column(Float)
    k: Mapped[int] = mapped_column(Integer)
    n_families: Mapped[int] = mapped_column(Integer)
    base_value: Mapped[float] = mapped_column(Float)
    feature_names: Mapped[str] = mapped_column(Text)  # JSON list
    # issue 18: the protected attribute the model recalibrated within (a deployment's explicit
    # choice, `model.recalibration`); null: none, every group scored alike.
    recalibrated_within: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SnapshotFamily(Base):
    """One family's score and full explanation in a snapshot (float64 vectors, zlib-packed by
    `service.lists.pack`, in the order of the snapshot's `feature_names`)."""

    __tablename__ = "snapshot_families"
    __table_args__ = (Index("ix_snapshot_families_listed", "snapshot_id", "list_rank"),)

    snapshot_id: Mapped[int] = mapped_column(ForeignKey("list_snapshots.id"), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    score_rank: Mapped[int] = mapped_column(Integer)
    list_rank: Mapped[int | None] = mapped_column(Integer)  # null: not on the list
    # Null on checklist lists, whose score (the count of yes-answers) is in `raw_score`.
    probability: Mapped[float | None] = mapped_column(Float)
    raw_score: Mapped[float] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(16))
    change: Mapped[str | None] = mapped_column(String(8))  # new | up | down | same
    values: Mapped[bytes] = mapped_column(LargeBinary)
    contributions: Mapped[bytes] = mapped_column(LargeBinary)
    signals: Mapped[str | None] = mapped_column(Text)  # JSON: open orders, violations, alerts
    # issue 12: a priority hold the list honoured: watch (raised, listed whatever the score) or
    # lowered (kept off the top k); null: none.
    hold: Mapped[str | None] = mapped_column(String(8))
    # issue 18: the log-odds shift of the recalibration within groups in `probability`;
    # null when the list's model has none.
    group_shift: Mapped[float | None] = mapped_column(Float)


class DistrictSetting(Base):
    __tablename__ = "district_settings"

    district: Mapped[str] = mapped_column(String(64), primary_key=True)
    capacity: Mapped[float] = mapped_column(Float, default=0.05)


class Correction(Base):
    """A correction of one field of one record; the old value is kept here, so nothing is lost."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(64), index=True)
    # Null for a record about a subject not linked to a family yet (issue 13, migration 0007).
    family_id: Mapped[str | None] = mapped_column(ForeignKey("families.family_id"), index=True)
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LoginFailure(Base):
    """Failed logins per (username, client): the throttle every server process shares."""

    __tablename__ = "login_failures"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)  # HMAC-SHA256, hex
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    # Unix seconds, comparable across processes; indexed for forgetting idle counts.
    last_at: Mapped[float] = mapped_column(Float, index=True)


# --- issue 12: cases (helper A1, cases-core) ------------------------------------------------


class Case(Base):
    """The council's case about one family: opened by a decision with measures, closed by the
    council with a note. At most one open case per family (partial unique index)."""

    __tablename__ = "cases"
    __table_args__ = (
        Index(
            "uq_cases_open_family",
            "family_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_cases_district_status", "district", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.family_id"), index=True)
    district: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8))  # open | closed
    # Priority raised: the family stays on every list, marked watch, until the case is closed.
    watch: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    opened_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    opened_on: Mapped[dt.date] = mapped_column(Date)  # the council's day (the demo's simulated)
    first_decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    list_month: Mapped[str | None] = mapped_column(String(7))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    close_note: Mapped[str | None] = mapped_column(Text)


class CaseMeasure(Base):
    """One measure of a case's plan: the agency responsible, the person it is aimed at, the due
    date and the current status (a cache of the last `measure_events` row)."""

    __tablename__ = "case_measures"
    __table_args__ = (Index("ix_case_measures_agency_status", "agency", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    measure: Mapped[str] = mapped_column(String(32))  # service.decisions.schemas.Measure
    agency: Mapped[str] = mapped_column(String(32))  # service.cases.schemas.Agency
    institution_id: Mapped[str | None] = mapped_column(String(64))  # null: the district's
    officer: Mapped[str | None] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(16))  # victim | child | aggressor | family
    person_id: Mapped[str | None] = mapped_column(ForeignKey("persons.person_id"))
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_on: Mapped[dt.date] = mapped_column(Date)


class MeasureEvent(Base):
    """Append-only history of a measure: every status change, who, when; never updated."""

    __tablename__ = "measure_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("case_measures.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    on: Mapped[dt.date] = mapped_column(Date)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status_from: Mapped[str | None] = mapped_column(String(16))  # null: the measure's creation
    status_to: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class PriorityHold(Base):
    """A raised (`watch`) or lowered priority the monthly lists honour (service.cases.holds)."""

    __tablename__ = "priority_holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.family_id"), index=True)
    district: Mapped[str] = mapped_column(String(64))
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(8))  # watch | lowered
    began_on: Mapped[dt.date] = mapped_column(Date)  # the decision's day
    from_month: Mapped[str] = mapped_column(String(7))  # first list it applies to
    until_month: Mapped[str | None] = mapped_column(String(7))  # lowered: last list
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    # case_closed | new_signal | superseded (a later decision raised or lowered again)
    ended_reason: Mapped[str | None] = mapped_column(String(16))


# --- issue 13: front-line forms (helper B1) -------------------------------------------------


class RecordVersion(Base):
    """One version of a corrected agency record: its event date and content (JSON). Version 1
    is the record as first stored (written at its first correction); each correction adds the
    next, so the old content is kept beside the new (`service.records.corrections`)."""

    __tablename__ = "record_versions"
    __table_args__ = (UniqueConstraint("record_type", "record_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    event_date: Mapped[dt.date] = mapped_column(Date)
    content: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)  # null for version 1
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# --- issue 14: subject access, disputes (helper C2) -----------------------------------------


class Dispute(Base):
    """A person's dispute of what is held about them, recorded by the council of the family's
    district, and its outcome: accepted (with the correction it led to, `corrections.id`) or
    rejected (with the council's reason). Never deleted (`service.subjects.disputes`)."""

    __tablename__ = "disputes"
    __table_args__ = (Index("ix_disputes_district_status", "district", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.person_id"), index=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.family_id"), index=True)
    district: Mapped[str] = mapped_column(String(64))
    # The disputed record (null: a dispute of no single record, e.g. of the family's listing).
    record_type: Mapped[str | None] = mapped_column(String(32))
    record_id: Mapped[str | None] = mapped_column(String(64))
    field: Mapped[str | None] = mapped_column(String(64))
    statement: Mapped[str] = mapped_column(Text)  # what the person says is wrong
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|accepted|rejected
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    correction_id: Mapped[int | None] = mapped_column(ForeignKey("corrections.id"))
    received_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


# --- issue 14: retention and deletion (helper C1) -------------------------------------------


class Deletion(Base):
    """A tombstone: what was destroyed, when, by whom and on which ground; never the content,
    never a family, person or IIN hash (`service.retention`). `counts` is JSON: rows destroyed
    per table. `record_type`/`record_id` name a deleted record (service-issued ids, which name
    nobody once the record is gone); null for a family or person."""

    __tablename__ = "deletions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # family | person | record | unlinked | jobs
    ground: Mapped[str] = mapped_column(String(32))  # retention | court_decision | ...
    reason: Mapped[str | None] = mapped_column(Text)  # the admin's words; null for retention
    record_type: Mapped[str | None] = mapped_column(String(32))
    record_id: Mapped[str | None] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(64))
    counts: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class DeletionSnapshot(Base):
    """A stored list that used data since deleted on a legal ground (the list is not changed:
    snapshots are immutable; this marks it)."""

    __tablename__ = "deletion_snapshots"

    deletion_id: Mapped[int] = mapped_column(ForeignKey("deletions.id"), primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("list_snapshots.id"), primary_key=True)
