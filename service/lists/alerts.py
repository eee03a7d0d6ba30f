"""Alerts between meetings: police signals of an alert kind re-score the family at once, and
the council sees every alert recorded since its latest list was built."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from features.pipeline import build_features
from service.audit import access_log
from service.auth.access import district_scope
from service.auth.roles import Principal
from service.lists.schemas import AlertRead, AlertsRead
from service.state import ServiceState
from service.storage.db import read_connection
from service.storage.events import load_events
from service.storage.tables import Alert, ListSnapshot, PoliceSignalRow, utcnow
from service.storage.transaction import transaction

logger = logging.getLogger(__name__)


def rescore_alert(state: ServiceState, alert_id: int) -> None:
    """Score the alert's family now (features as of tomorrow, so today's signal counts).

    Runs after the record is committed; a failure leaves the alert unscored but listed.
    """
    champion = state.models.champion()
    if champion is None:
        logger.info("alert %s stays unscored: no champion model", alert_id)
        return
    try:
        with state.sessions() as session:
            alert = session.get(Alert, alert_id)
            if alert is None:
                return
            family_id = alert.family_id
            session.rollback()  # hold no lock while loading and scoring
            with read_connection(state.engine) as conn:
                events = load_events(conn, family_ids=[family_id])
            as_of = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
            features = build_features(events, as_of=as_of)
            scores = champion.model.score(features, families=events.families)
            with transaction(session):
                alert = session.get(Alert, alert_id)
                assert alert is not None
                alert.probability = float(scores.probability[0])
                alert.band = scores.band[0]
                alert.model_version = champion.version
                alert.scored_at = utcnow()
    except Exception:
        logger.exception("re-scoring alert %s failed", alert_id)


def district_alerts(
    session: Session, district: str, *, since: dt.date | None, until: dt.date | None = None
) -> list[AlertRead]:
    """Alerts of the district's families recorded (the signal's knowledge date) on or after
    `since` (None: any day) and before `until` (None: up to now), newest first."""
    query = (
        select(Alert, PoliceSignalRow.knowledge_date)
        .join(PoliceSignalRow, PoliceSignalRow.record_id == Alert.record_id)
        .where(Alert.district == district)
    )
    if since is not None:
        query = query.where(PoliceSignalRow.knowledge_date >= since)
    if until is not None:
        query = query.where(PoliceSignalRow.knowledge_date < until)
    rows = session.execute(query.order_by(Alert.created_at.desc(), Alert.id.desc()))
    return [
        AlertRead(
            id=alert.id,
            family_id=alert.family_id,
            kind=alert.kind,
            event_date=alert.event_date,
            recorded_on=known,
            created_at=alert.created_at,
            probability=alert.probability,
            band=alert.band,
            model_version=alert.model_version,
        )
        for alert, known in rows
    ]


def latest_list_as_of(session: Session, district: str) -> dt.date | None:
    """The as-of date of the district's latest list (None: no list yet)."""
    return session.scalar(
        select(func.max(ListSnapshot.as_of)).where(ListSnapshot.district == district)
    )


def read_alerts(session: Session, user: Principal, district: str) -> AlertsRead:
    """The alerts between meetings after the district check: every alert recorded since the
    district's latest list was built (on or after its as-of date, so unknown to it), with the
    read written to the access log."""
    district_scope(user, district)
    access_log.begin_read(session)
    since = latest_list_as_of(session, district)
    alerts = district_alerts(session, district, since=since)
    access_log.log_read(session, user=user, action="alerts.read", district=district)
    return AlertsRead(district=district, since=since, alerts=alerts)
