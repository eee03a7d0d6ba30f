"""The demo's council: decisions with plans on part of each list, referrals the agencies act
on (most delivered, some late, declined or unreachable), pages not empty, nothing repeated."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from sqlalchemy import func, select

from experiments.data_source import CLI_READER, read_measures
from experiments.demo.council import ensure_council
from experiments.demo.users import ensure_demo_users, largest_districts
from experiments.helped import help_groups
from service.auth.roles import UserRole
from service.records.importer import cli_principal
from service.storage.tables import Case, CaseMeasure, Decision, MeasureEvent, PriorityHold
from tests.service.conftest import Service

MONTH = "2025-06"


def _counts(listed_service: Service) -> tuple[int, ...]:
    with listed_service.state.sessions() as session:
        return tuple(
            int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (Decision, Case, CaseMeasure, MeasureEvent, PriorityHold)
        )


def test_the_demo_council_decides_refers_and_agencies_act(
    listed_service: Service, tmp_path: Path
) -> None:
    state, client = listed_service.state, listed_service.client
    messages: list[str] = []
    with state.sessions() as session:
        ensure_demo_users(session, tmp_path, say=messages.append)
        districts = largest_districts(session)
        first = ensure_council(session, MONTH, say=messages.append)
    assert first.decisions > 0
    assert first.measures > 0
    assert first.steps > first.measures  # sent, then the agencies' steps
    assert messages[-1].startswith(f"council: {first.decisions} decisions")
    with state.sessions() as session:
        decisions = session.scalars(select(Decision)).all()
        assert {d.district for d in decisions} <= set(districts)
        assert {d.list_month for d in decisions} == {MONTH}
        assert any(d.priority == "raise" for d in decisions)
        statuses = [m.status for m in session.scalars(select(CaseMeasure))]
        assert "proposed" not in statuses  # every referral was sent
        # A school's or a clinic's referral names the institution of the district's demo user
        # of that agency (schools and clinics are several per district).
        named = session.execute(
            select(CaseMeasure.agency, CaseMeasure.institution_id, Case.district)
            .join(Case, Case.id == CaseMeasure.case_id)
            .where(CaseMeasure.agency.in_(["school", "clinic"]))
        ).all()
        assert named
        for agency, institution, district in named:
            assert institution == f"{agency}-{district.lower().replace(' ', '-')}-1"
        assert statuses.count("delivered") >= len(statuses) / 2
        for event in session.scalars(select(MeasureEvent)):
            assert event.on.isoformat()[:7] >= MONTH  # simulated days, from the list's month
    # The agencies see their referrals; the council its cases.
    seen = 0
    for district in districts:
        for role in (UserRole.school, UserRole.clinic):
            response = client.get("/v1/referrals", headers=listed_service.headers(role, district))
            if response.status_code == 200:
                seen += len(response.json()["referrals"])
    assert seen > 0
    # Evaluation reads the delivered measures from the database (logged), never as features.
    with state.sessions() as session:
        measures = read_measures(
            session, user=cli_principal(session, CLI_READER), purpose="evaluate"
        )
        stored = session.scalars(select(CaseMeasure)).all()
    assert measures.height == len(stored)
    delivered = measures.filter(pl.col("status") == "delivered")
    assert delivered.height == statuses.count("delivered")
    assert delivered["delivered_on"].null_count() == 0
    assert measures.filter(pl.col("status") != "delivered")["delivered_on"].null_count() == (
        measures.height - delivered.height
    )
    groups = help_groups(measures, as_of=dt.date(2025, 7, 1), horizon_months=6)
    assert groups["with_delivered_measures"] == set(delivered["family_id"])
    # A re-run adds nothing.
    before = _counts(listed_service)
    again: list[str] = []
    with state.sessions() as session:
        second = ensure_council(session, MONTH, say=again.append)
    assert second.decisions == 0
    assert second.steps == 0
    assert second.reused == first.decisions
    assert _counts(listed_service) == before
    assert again[-1].startswith("council: reusing")
