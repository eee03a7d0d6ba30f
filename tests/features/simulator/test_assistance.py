"""The simulated council (`features.simulator.assistance`): it reads only records, agencies
deliver most measures, delivered help lowers the latent risk, and the measures never become a
feature."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from pydantic import ValidationError

from features.contracts import ASSISTANCE_SCHEMA
from features.loaders import DataValidationError, load_assistance, load_events
from features.months import months_after
from features.pipeline.grid import build_grid
from features.simulator import (
    Population,
    SimulationConfig,
    read_population,
    simulate,
    write_population,
)
from features.simulator.assistance import (
    MEETING_DAY,
    WINDOW_MONTHS,
    p_recorded_within_helped,
)
from features.simulator.dynamics import family_chains, p_recorded_within
from features.simulator.population import make_households

START = dt.date(2023, 1, 1)
COUNCIL = SimulationConfig(
    families=2000,
    months=24,
    start=START,
    seed=5,
    council_share=0.02,
    council_from=dt.date(2024, 1, 1),
)


@pytest.fixture(scope="module")
def helped() -> Population:
    return simulate(COUNCIL)


@pytest.fixture(scope="module")
def unhelped() -> Population:
    return simulate(COUNCIL.model_copy(update={"council_share": 0.0}))


def test_no_council_by_default_and_an_empty_table() -> None:
    config = SimulationConfig(families=50, months=8, start=START, seed=1)
    assert config.council_share == 0.0
    population = simulate(config)
    assert population.assistance.height == 0
    assert population.assistance.schema == pl.Schema(ASSISTANCE_SCHEMA)


def test_the_world_is_unchanged_until_the_first_help(
    helped: Population, unhelped: Population
) -> None:
    first = helped.assistance["delivered_on"].min()
    assert isinstance(first, dt.date)
    cut = dt.date(first.year, first.month, 1)
    # Police and outcomes are drawn month by month (screenings and surveys are drawn over all
    # months at once, so a later change moves their random draws).
    for name in ("police_signals", "outcomes"):
        before = [
            getattr(p.events, name).filter(pl.col("event_date") < cut).drop("record_id")
            for p in (helped, unhelped)
        ]
        assert before[0].equals(before[1]), name
    truth = [p.truth.filter(pl.col("month") < cut) for p in (helped, unhelped)]
    assert truth[0].equals(truth[1])
    assert helped.events.families.equals(unhelped.events.families)


def test_council_plans_from_recorded_incidents_known_at_the_meeting(helped: Population) -> None:
    plans = helped.assistance.select("family_id", "decided_on").unique()
    assert plans.height > 50
    assert plans["decided_on"].dt.day().unique().to_list() == [MEETING_DAY + 1]
    assert plans["decided_on"].min() >= COUNCIL.council_from  # type: ignore[operator]
    outcomes = helped.events.outcomes
    seen = (
        plans.join(outcomes, on="family_id")
        .with_columns(meeting_month=pl.col("decided_on").dt.truncate("1mo"))
        .filter(
            (pl.col("knowledge_date") < pl.col("decided_on"))
            & (
                pl.col("event_date")
                >= pl.col("meeting_month").dt.offset_by(f"-{WINDOW_MONTHS + 1}mo")
            )
            & (pl.col("event_date") < pl.col("meeting_month").dt.offset_by("-1mo"))
        )
        .select("family_id", "decided_on")
        .unique()
    )
    # Every plan rests on a recorded serious incident the council could see that day.
    assert seen.height == plans.height


def test_agencies_deliver_most_measures_some_late_some_not(helped: Population) -> None:
    a = helped.assistance
    shares = dict(a.group_by("status").len().iter_rows())
    total = a.height
    assert 0.65 < shares["delivered"] / total < 0.9
    assert shares["declined"] > 0
    assert shares["unreachable"] > 0
    delivered = a.filter(pl.col("status") == "delivered")
    assert delivered["delivered_on"].null_count() == 0
    assert a.filter(pl.col("status") != "delivered")["delivered_on"].null_count() == (
        total - delivered.height
    )
    late = (delivered["delivered_on"] > delivered["due_on"]).mean()
    assert 0.05 < late < 0.4  # type: ignore[operator]
    assert (a["due_on"] > a["decided_on"]).all()
    assert (delivered["delivered_on"] > delivered["decided_on"]).all()
    end = months_after(START, COUNCIL.months)
    assert (delivered["delivered_on"] < end).all()


def test_measures_name_a_member_of_the_family(helped: Population) -> None:
    a = helped.assistance
    persons = helped.events.persons.select("person_id", pl.col("family_id").alias("owner"))
    named = a.filter(pl.col("person_id").is_not_null()).join(persons, on="person_id")
    assert named.height == a["person_id"].drop_nulls().len()
    assert (named["owner"] == named["family_id"]).all()
    assert a.filter(pl.col("person_id").is_null())["target"].unique().to_list() == ["family"]


def test_same_config_same_plans() -> None:
    config = COUNCIL.model_copy(update={"families": 400})
    assert simulate(config).assistance.equals(simulate(config).assistance)


def test_delivered_help_lowers_the_six_month_risk() -> None:
    h = make_households(500, START, np.random.default_rng(3))
    chains = family_chains(h)
    without, one = p_recorded_within_helped(chains, measures=1)
    _, two = p_recorded_within_helped(chains, measures=2)
    np.testing.assert_allclose(without, p_recorded_within(chains, months=6), rtol=1e-12)
    assert (one[:, 1:] < without[:, 1:]).all()  # calm families have nothing to calm
    assert (two[:, 1:] < one[:, 1:]).all()
    relative = 1.0 - one[:, 1:].mean() / without[:, 1:].mean()
    assert 0.05 < relative < 0.35  # modest, as documented


def test_the_council_lowers_recorded_incidents(helped: Population, unhelped: Population) -> None:
    after = COUNCIL.council_from
    counts = [
        p.events.outcomes.filter(pl.col("event_date") >= after).height for p in (helped, unhelped)
    ]
    assert counts[0] < counts[1]


def test_round_trip_and_old_directories(helped: Population, tmp_path: Path) -> None:
    out = tmp_path / "sim"
    write_population(helped, out)
    back = read_population(out)
    assert back.assistance.equals(helped.assistance)
    loaded = load_assistance(out)
    assert loaded is not None
    assert loaded.equals(helped.assistance)
    (out / "assistance.parquet").unlink()  # written before the council existed
    assert read_population(out).assistance.height == 0
    assert load_assistance(out) is None


def test_load_assistance_refuses_a_bad_status(helped: Population, tmp_path: Path) -> None:
    helped.assistance.with_columns(status=pl.lit("lost")).write_parquet(
        tmp_path / "assistance.parquet"
    )
    with pytest.raises(DataValidationError, match=r"assistance\.status"):
        load_assistance(tmp_path)


def test_measures_never_become_features(helped: Population, tmp_path: Path) -> None:
    with_table = tmp_path / "with"
    write_population(helped, with_table)
    without_table = tmp_path / "without"
    shutil.copytree(with_table, without_table)
    (without_table / "assistance.parquet").unlink()
    dates = [dt.date(2024, 6, 1), dt.date(2024, 9, 1)]
    grids = [
        build_grid(load_events(d), as_of_dates=dates, horizon_months=3)
        for d in (with_table, without_table)
    ]
    assert grids[0].equals(grids[1])
    # Neither the pipeline nor the service's loaders of its input ever name the measures.
    root = Path(__file__).parents[3]
    sources = [
        *(root / "features" / "pipeline").rglob("*.py"),
        root / "service" / "storage" / "events.py",
        root / "service" / "records" / "export.py",
    ]
    for source in sources:
        text = source.read_text("utf-8")
        for name in ("assistance", "CaseMeasure", "case_measures", "MeasureEvent"):
            assert name not in text, (source, name)


@pytest.mark.parametrize(
    ("update", "fragment"),
    [
        ({"council_share": 0.2}, "council_share"),
        ({"council_share": -0.1}, "council_share"),
        ({"council_from": dt.date(2024, 1, 5)}, "first day of a month"),
        ({"council_from": dt.date(2023, 2, 1)}, "council_from"),
        ({"council_from": dt.date(2030, 1, 1)}, "council_from"),
    ],
)
def test_council_options_are_checked(update: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        SimulationConfig.model_validate({**COUNCIL.model_dump(), **update})
