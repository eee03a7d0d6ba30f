"""`record_decision` as a plain function: the decision and its access-log entry are committed
together before it returns, or neither is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from service.audit import access_log
from service.auth.roles import UserRole
from service.decisions.decide import record_decision
from service.decisions.schemas import DecisionCreate, Measure, Priority
from service.storage.tables import AccessLogEntry, Decision
from tests.service.conftest import Service


def _count(service: Service, table: type) -> int:
    with service.state.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_decision_is_stored_with_its_log_entry_or_not_at_all(
    sqlite_service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    council = sqlite_service.user(UserRole.council, "Almaly")
    family_id = sqlite_service.seeded.families["Almaly"][0]
    body = DecisionCreate(measures=[Measure.psychologist], priority=Priority.raise_)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the access log is down")

    monkeypatch.setattr(access_log, "append", broken)
    with sqlite_service.state.sessions() as session, pytest.raises(RuntimeError):
        record_decision(session, family_id, body, user=council)
    monkeypatch.undo()
    assert _count(sqlite_service, Decision) == 0

    with sqlite_service.state.sessions() as session:
        decision = record_decision(session, family_id, body, user=council)
    assert decision.decided_by == council.username
    with sqlite_service.state.sessions() as session:  # committed: another session sees both
        assert session.get(Decision, decision.id) is not None
        entries = session.scalars(
            select(AccessLogEntry).where(AccessLogEntry.action == "family.decision")
        ).all()
    assert [(e.family_id, e.username) for e in entries] == [(family_id, council.username)]
