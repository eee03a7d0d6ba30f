"""The subject-access export: everything held about one family, JSON-ready."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit import access_log
from service.auth.roles import Principal
from service.decisions.decide import family_decisions
from service.families.scope import family_in_scope
from service.families.view import timeline
from service.records.kinds import columns
from service.storage.tables import (
    AccessLogEntry,
    Alert,
    Correction,
    Family,
    ListSnapshot,
    Person,
    SnapshotFamily,
)


def export_family(session: Session, family: Family) -> dict[str, Any]:
    """Everything held about the family, for a subject-access request (JSON-ready).

    Includes the registry rows (with the attributes kept for fairness audits), every record,
    decision, correction, alert, every list entry with its score, and who read the family's data.
    The keyed IIN hashes are left out: they are not data about the family but a lookup key.
    """
    fid = family.family_id
    snapshots = session.execute(
        select(ListSnapshot.month, ListSnapshot.model_version, SnapshotFamily)
        .join(SnapshotFamily, SnapshotFamily.snapshot_id == ListSnapshot.id)
        .where(SnapshotFamily.family_id == fid)
        .order_by(ListSnapshot.month)
    ).all()
    corrections = session.scalars(select(Correction).where(Correction.family_id == fid))
    reads = session.scalars(select(AccessLogEntry).where(AccessLogEntry.family_id == fid))
    return {
        "family": columns(family),
        "persons": [
            {k: v for k, v in columns(p).items() if k != "iin_hash"}
            for p in session.scalars(select(Person).where(Person.family_id == fid))
        ],
        "records": [item.model_dump(mode="json") for item in timeline(session, fid)],
        "decisions": [d.model_dump(mode="json") for d in family_decisions(session, fid)],
        "corrections": [columns(c) for c in corrections],
        "alerts": [
            columns(a) for a in session.scalars(select(Alert).where(Alert.family_id == fid))
        ],
        "scores": [
            {
                "month": month,
                "model_version": version,
                "probability": sf.probability,
                "band": sf.band,
                "score_rank": sf.score_rank,
                "list_rank": sf.list_rank,
                "change": sf.change,
                "signals": json.loads(sf.signals) if sf.signals else None,
            }
            for month, version, sf in snapshots
        ],
        "access_log": [
            {"at": e.at, "username": e.username, "role": e.role, "action": e.action} for e in reads
        ],
    }


def read_export(session: Session, user: Principal, family_id: str) -> dict[str, Any]:
    """The export after the district check, with the read written to the access log."""
    access_log.begin_read(session)
    family = family_in_scope(session, user, family_id)
    district = family.district
    data = export_family(session, family)
    access_log.log_read(
        session, user=user, action="family.export", family_id=family_id, district=district
    )
    return data
