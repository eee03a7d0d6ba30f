"""The figures as counted from storage (SQLite and PostgreSQL): protective orders issued,
extended, expired without extension; alerts; coverage; the case figures once their tables
exist."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, insert
from sqlalchemy.orm import Session

from service.auth.roles import UserRole
from service.statistics.figures import (
    COLUMNS,
    Period,
    case_tables_exist,
    district_counts,
    protected_tables,
    regions_of,
)
from service.storage.tables import Alert, Decision, PoliceSignalRow
from tests.service.conftest import Service
from tests.service.factory import DISTRICTS, REGION

OWN, OTHER = DISTRICTS
MARCH = Period.of("2025-03", dt.date(2025, 3, 1))
D = dt.date


def _signal(record_id: str, family: str, kind: str, start: dt.date, end: dt.date | None) -> Any:
    return PoliceSignalRow(
        record_id=record_id, family_id=family, person_id=f"P{family}a", institution_id="police-1",
        event_date=start, knowledge_date=start, kind=kind, forms="", valid_until=end,
    )  # fmt: skip


def _seed_orders(session: Session, families: list[str]) -> None:
    a, b, c, d = families[:4]
    session.add_all(
        [
            _signal("o-a1", a, "protective_order", D(2025, 3, 1), D(2025, 3, 20)),
            _signal("o-a2", a, "protective_order", D(2025, 3, 25), D(2025, 4, 20)),  # extends
            _signal("o-b", b, "protective_order", D(2025, 3, 5), D(2025, 3, 31)),
            _signal("o-c", c, "protective_order", D(2025, 3, 10), D(2025, 3, 30)),
            _signal("o-d", d, "court_requirements", D(2025, 3, 12), D(2025, 9, 12)),
            _signal("v-a", a, "order_violation", D(2025, 3, 15), None),
        ]
    )
    session.flush()
    session.add(
        Alert(record_id="v-a", family_id=a, district=OWN, kind="order_violation",
              event_date=D(2025, 3, 15))
    )  # fmt: skip
    session.commit()


def _row(counts: dict[str, dict[str, list[int]]], figure: str, district: str) -> dict[str, int]:
    values = counts[figure].get(district, [0] * len(COLUMNS[figure]))
    return dict(zip(COLUMNS[figure], values, strict=True))


def test_orders_alerts_and_coverage(service: Service) -> None:
    with service.state.sessions() as session:
        _seed_orders(session, service.seeded.families[OWN])
        late = district_counts(session, MARCH, today=D(2025, 6, 15), cases=False)
        early = district_counts(session, MARCH, today=D(2025, 4, 1), cases=False)
    assert _row(late, "orders_issued", OWN) == {"court_requirements": 1, "protective_order": 4}
    # a1 is extended by a2 (within 14 days, ending later); b and c lapse
    assert _row(late, "orders_expired", OWN) == {
        "extended": 1, "not_extended": 2, "window_open": 0,
    }  # fmt: skip
    # on 1 April the 14 days after b's and c's end have not passed yet
    assert _row(early, "orders_expired", OWN) == {
        "extended": 1, "not_extended": 0, "window_open": 2,
    }  # fmt: skip
    assert _row(late, "orders_issued", OTHER) == {"court_requirements": 0, "protective_order": 0}
    assert _row(late, "alerts", OWN)["order_violation"] == 1
    # every seeded family has one school-age child and one woman: 40 of each per district
    for district in DISTRICTS:
        assert sum(_row(late, "children_surveyed", district).values()) == 40
        assert sum(_row(late, "women_screened", district).values()) == 40
        assert 0 < _row(late, "children_surveyed", district)["surveyed"] < 40


def test_protected_tables_agree_across_levels(service: Service) -> None:
    with service.state.sessions() as session:
        _seed_orders(session, service.seeded.families[OWN])
        counts = district_counts(session, MARCH, today=D(2025, 6, 15), cases=False)
        regions = regions_of(session)
    assert regions == {REGION: sorted(DISTRICTS)}
    tables = protected_tables(counts, regions)
    for figure in counts:
        national, region = tables[(figure, None)], tables[(figure, REGION)]
        # the region's row of the national table is the region table's column totals
        assert (national.grid[0] == region.grid[-1]).all()
        assert (national.suppressed[0] == region.suppressed[-1]).all()
        small = (region.grid > 0) & (region.grid < 10)
        assert not (small & ~region.suppressed).any()


def test_case_figures_when_the_case_tables_exist(service: Service) -> None:
    with service.state.sessions() as session:
        if not case_tables_exist(session):
            pytest.skip("the case tables (issue 12) do not exist in this database yet")
        council = service.user(UserRole.council, OWN)
        family = service.seeded.families[OWN][0]
        meta = MetaData()
        conn = session.connection()
        cases, measures, events = (
            Table(name, meta, autoload_with=conn)
            for name in ("cases", "case_measures", "measure_events")
        )
        decision = Decision(family_id=family, district=OWN, user_id=council.id,
                            measures='["psychologist"]', priority="raise")  # fmt: skip
        session.add(decision)
        session.flush()
        now = dt.datetime(2025, 3, 2, 10)

        def case(opened: dt.date, closed: dt.date | None) -> int:
            result = session.execute(
                insert(cases).values(
                    family_id=family, district=OWN, status="closed" if closed else "open",
                    watch=False, opened_by=council.id, opened_at=now, opened_on=opened,
                    first_decision_id=decision.id, closed_on=closed,
                    closed_at=now if closed else None, closed_by=council.id if closed else None,
                )
            )  # fmt: skip
            return int(result.inserted_primary_key[0])  # type: ignore[attr-defined]

        march = case(D(2025, 3, 2), None)
        case(D(2024, 3, 4), D(2024, 5, 1))  # twelve months before: the repeat cohort
        for measure, due, delivered in (
            ("psychologist", D(2025, 3, 20), D(2025, 3, 18)),  # delivered on time
            ("crisis_centre", D(2025, 3, 10), D(2025, 3, 25)),  # delivered late
        ):
            mid = session.execute(
                insert(measures).values(
                    case_id=march, decision_id=decision.id, measure=measure, agency="clinic",
                    target="family", due_on=due, status="delivered", created_by=council.id,
                    created_at=now, created_on=D(2025, 3, 2),
                )
            ).inserted_primary_key[0]  # type: ignore[attr-defined]  # fmt: skip
            for step, (old, new) in enumerate([(None, "proposed"), ("proposed", "sent"),
                                               ("sent", "acknowledged"),
                                               ("acknowledged", "delivered")]):  # fmt: skip
                on = delivered if new == "delivered" else D(2025, 3, 2 + step)
                session.execute(
                    insert(events).values(
                        measure_id=mid, at=now, on=on, user_id=council.id, status_from=old,
                        status_to=new,
                    )
                )  # fmt: skip
        session.add(_signal("cohort-offense", family, "criminal_offense", D(2024, 6, 1), None))
        session.commit()
        counts = district_counts(session, MARCH, today=D(2025, 6, 15), cases=True)
    assert _row(counts, "cases_opened", OWN) == {"open": 1, "closed": 0}
    assert _row(counts, "measures_by_status", OWN)["delivered"] == 2
    assert _row(counts, "measures_by_type", OWN)["psychologist"] == 1
    assert _row(counts, "measures_delivered", OWN) == {"on_time": 1, "late": 1}
    assert _row(counts, "repeat", OWN) == {"repeat": 1, "no_repeat": 0}
