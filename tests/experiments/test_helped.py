"""The model judged on helped and other families (`experiments.helped`), and `evaluate` with the
simulated council's measures."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from sqlalchemy import func, select

from experiments.data_source import CLI_READER, read_measures
from experiments.evaluation import evaluate
from experiments.helped import help_groups, metrics_by_help
from experiments.rankers import RankerScores
from experiments.training import TrainingConfig, train
from features.contracts import ASSISTANCE_SCHEMA
from features.simulator import Population, SimulationConfig, simulate
from service.auth.roles import UserRole
from service.cases.plan import change_status
from service.cases.referrals import agency_update
from service.cases.schemas import Agency, MeasurePlan, MeasureStatus, Target
from service.decisions.decide import record_decision
from service.decisions.schemas import DecisionCreate, Measure
from service.records.importer import cli_principal
from service.storage.tables import AccessLogEntry, CaseMeasure
from tests.service.conftest import Service
from tests.service.factory import DISTRICTS

AS_OF = dt.date(2025, 1, 1)


def _measures(rows: list[tuple[str, str, str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "family_id": [r[0] for r in rows],
            "decided_on": [dt.date.fromisoformat(r[1]) for r in rows],
            "status": [r[2] for r in rows],
            "delivered_on": [dt.date.fromisoformat(r[3]) if r[3] else None for r in rows],
        }
    )


def test_help_groups_take_the_window_around_the_label() -> None:
    measures = _measures(
        [
            ("A", "2024-08-15", "delivered", "2024-09-01"),  # before as-of, within 6 months
            ("B", "2024-12-15", "delivered", "2025-03-01"),  # delivered in the label window
            ("C", "2023-01-15", "delivered", "2023-02-01"),  # too early to act on the label
            ("D", "2024-10-15", "declined", None),  # planned, not delivered
            ("E", "2024-11-15", "delivered", "2025-08-01"),  # delivered after the window
            ("A", "2024-12-15", "declined", None),  # A was helped anyway
            ("F", "2025-02-15", "delivered", "2025-03-20"),  # decided in the window: not help
        ]
    )
    groups = help_groups(measures, as_of=AS_OF, horizon_months=6)
    assert groups["with_delivered_measures"] == {"A", "B"}
    assert groups["planned_not_delivered"] == {"D", "E"}
    assert "F" not in groups["with_delivered_measures"] | groups["planned_not_delivered"]
    with pytest.raises(ValueError, match="delivered_on"):
        help_groups(measures.drop("delivered_on"), as_of=AS_OF, horizon_months=6)


def test_metrics_by_help_split_the_rows_and_the_lists() -> None:
    n = 400
    rng = np.random.default_rng(0)
    family = [f"F{i:04d}" for i in range(n)]
    label = rng.random(n) < 0.1
    score = label * 1.0 + rng.random(n)
    rows = pl.DataFrame(
        {
            "as_of": [AS_OF] * n,
            "family_id": family,
            "label": label.astype(np.int8),
            "list_key": [f"{AS_OF}|d{i % 4}" for i in range(n)],
        }
    )
    scored = RankerScores(rows=rows, ranking={"model": score}, probability={"model": score / 2})
    measures = _measures(
        [(f, "2024-11-15", "delivered", "2024-12-01") for f in family[:50]]
        + [(f, "2024-11-15", "declined", None) for f in family[50:70]]
    )
    out = metrics_by_help(scored, measures, as_of=AS_OF, horizon_months=6)
    helped, others = out["with_delivered_measures"], out["without_delivered_measures"]
    assert helped["n"] == 50
    assert others["n"] == 350
    assert out["planned_not_delivered"]["n"] == 20
    assert helped["base_rate"] == pytest.approx(label[:50].mean())
    # each of the 4 district lists of 100 flags its top 5
    assert helped["flagged"] + others["flagged"] == 20
    assert helped["auc"] > 0.9  # labelled families score higher
    assert others["observed_to_predicted"] == pytest.approx(
        label[50:].mean() / (score[50:] / 2).mean()
    )
    # No measure acts on this as-of date: the helped group is empty, not an error.
    later = metrics_by_help(scored, measures, as_of=dt.date(2026, 1, 1), horizon_months=6)
    assert later["with_delivered_measures"] == {"n": 0.0}


@pytest.fixture(scope="module")
def council_world() -> Population:
    config = SimulationConfig(
        families=1500,
        months=30,
        start=dt.date(2023, 1, 1),
        seed=11,
        council_share=0.01,
        council_from=dt.date(2024, 1, 1),
    )
    population = simulate(config)
    assert population.assistance.schema == pl.Schema(ASSISTANCE_SCHEMA)
    return population


def test_evaluate_reports_the_model_by_help(council_world: Population) -> None:
    events, measures = council_world.events, council_world.assistance
    result = train(
        events,
        config=TrainingConfig(
            until=dt.date(2024, 7, 1),
            max_train_months=2,
            fairness=False,
            baselines=False,
            candidates=("lightgbm",),
            judging="held_out",  # the population is too short to judge out of time
        ),
    ).model
    with_help = evaluate(events, model=result, as_of=AS_OF, baselines={}, measures=measures)
    without = evaluate(events, model=result, as_of=AS_OF, baselines={})
    assert without.by_help == {}
    # the measures never change the model's own figures: they only split them
    assert with_help.metrics == without.metrics
    groups = with_help.by_help
    assert groups["with_delivered_measures"]["n"] > 0
    total = groups["with_delivered_measures"]["n"] + groups["without_delivered_measures"]["n"]
    assert total == with_help.n
    assert with_help.to_json()["by_help"] == groups


def test_read_measures_from_the_database(service: Service) -> None:
    """The case measures with their delivered day, on SQLite and PostgreSQL; the read is
    written to the access log."""
    district = DISTRICTS[0]
    family = service.seeded.families[district][0]
    adult = f"P{family}a"
    council = service.user(UserRole.council, district)
    clinic = service.user(UserRole.clinic, district)
    day = dt.date(2025, 3, 3)
    plan = [
        MeasurePlan(measure=Measure.psychologist, agency=Agency.clinic, target=Target.victim,
                    institution_id=clinic.institution_id, person_id=adult,
                    due_on=day + dt.timedelta(days=30)),
        MeasurePlan(measure=Measure.social_patronage_visit, agency=Agency.social_services,
                    target=Target.family, due_on=day + dt.timedelta(days=14)),
    ]  # fmt: skip
    with service.state.sessions() as session:
        decision = record_decision(
            session,
            family,
            DecisionCreate(measures=[Measure.psychologist], plan=plan, list_month="2025-03"),
            user=council,
            today=day,
        )
        ids = sorted(
            session.scalars(select(CaseMeasure.id).where(CaseMeasure.decision_id == decision.id))
        )
        for measure_id in ids:
            change_status(session, council, decision.case_id or 0, measure_id,
                          MeasureStatus.sent, today=day)  # fmt: skip
        agency_update(session, clinic, ids[0], MeasureStatus.acknowledged, today=day)
        delivered_on = day + dt.timedelta(days=9)
        agency_update(session, clinic, ids[0], MeasureStatus.delivered, today=delivered_on)
        reader = cli_principal(session, CLI_READER)
        measures = read_measures(session, user=reader, purpose="evaluate")
        logged = session.scalar(
            select(func.count())
            .select_from(AccessLogEntry)
            .where(AccessLogEntry.action == "read-measures.evaluate rows=2")
        )
    assert measures.schema == pl.Schema(ASSISTANCE_SCHEMA)
    rows = {r["measure"]: r for r in measures.iter_rows(named=True)}
    assert rows["psychologist"]["status"] == "delivered"
    assert rows["psychologist"]["delivered_on"] == delivered_on
    assert rows["psychologist"]["person_id"] == adult
    assert rows["psychologist"]["decided_on"] == day
    assert rows["social_patronage_visit"]["status"] == "sent"
    assert rows["social_patronage_visit"]["delivered_on"] is None
    assert set(measures["family_id"]) == {family}
    assert logged == 1
    groups = help_groups(measures, as_of=dt.date(2025, 4, 1), horizon_months=6)
    assert groups["with_delivered_measures"] == {family}
