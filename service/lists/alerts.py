"""Alerts between meetings: police signals of an alert kind re-score the family at once."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from features.pipeline import build_features
from service.audit import access_log
from service.auth.access import district_scope
from service.auth.roles import Principal
from service.lists.schemas import AlertRead
from service.state import ServiceState
from service.storage.db import read_connection
from service.storage.events import load_events
from service.storage.tables import Alert, utcnow
from service.storage.transaction import transaction

logger = logging.getLogger(__name__)

#: How far back the alerts view looks (most re-offending happens within three months).
ALERT_WINDOW_DAYS: Final = 92


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
            scores = champion.model.score(build_features(events, as_of=as_of))
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
    session: Session, district: str, *, today: dt.date | None = None
) -> list[AlertRead]:
    """Alerts of the district's families in the last `ALERT_WINDOW_DAYS`, newest first."""
    today = today or dt.datetime.now(dt.UTC).date()
    since = today - dt.timedelta(days=ALERT_WINDOW_DAYS)
    rows = session.scalars(
        select(Alert)
        .where(Alert.district == district, Alert.event_date >= since)
        .order_by(Alert.created_at.desc(), Alert.id.desc())
    )
    return [AlertRead.model_validate(a, from_attributes=True) for a in rows]


def read_alerts(session: Session, user: Principal, district: str) -> list[AlertRead]:
    """The district's alerts after the district check, with the read written to the access log."""
    district_scope(user, district)
    access_log.begin_read(session)
    alerts = district_alerts(session, district)
    access_log.log_read(session, user=user, action="alerts.read", district=district)
    return alerts
