"""The simulated world is credible: base rate, oracle AUC, the exact oracle, bias knobs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from features.simulator import Population, SimulationConfig, simulate
from features.simulator.dynamics import N_STATES, family_chains, p_recorded_within, simulate_paths
from features.simulator.population import make_households
from features.simulator.report import labelled_truth, plot_population, realised_stats, true_need


def _labelled(pop: Population, as_of_months: list[int]) -> pl.DataFrame:
    """Truth rows at the as-of months, with the 6-month recorded-outcome label."""
    start = pop.config.start
    rows = []
    outcomes = pop.events.outcomes.select("family_id", "event_date")
    for k in as_of_months:
        as_of = pl.date(start.year, start.month, 1).dt.offset_by(f"{k}mo")
        month = pop.truth.filter(pl.col("month") == as_of)
        hit = (
            outcomes.filter(
                (pl.col("event_date") >= as_of) & (pl.col("event_date") < as_of.dt.offset_by("6mo"))
            )
            .select("family_id")
            .unique()
            .with_columns(y=pl.lit(1))
        )
        joined = month.join(hit, on="family_id", how="left")
        rows.append(joined.with_columns(pl.col("y").fill_null(0)))
    return pl.concat(rows)


def test_base_rate_and_oracle_auc_in_range(small_population: Population) -> None:
    data = _labelled(small_population, [6, 12, 18, 24, 30])
    y = data["y"].to_numpy()
    p = data["p_incident_6m"].to_numpy()
    assert 0.01 <= y.mean() <= 0.05
    assert 0.75 <= roc_auc_score(y, p) <= 0.92
    # the oracle is calibrated: its mean matches the realised rate within sampling error
    assert abs(p.mean() - y.mean()) < 4 * np.sqrt(y.mean() / len(y))


def test_exact_oracle_matches_monte_carlo() -> None:
    h = make_households(150, dt.date(2023, 1, 1), np.random.default_rng(5))
    chains = family_chains(h)
    exact = p_recorded_within(chains, months=6)  # (families, states)
    draws = 400
    fam = np.repeat(np.arange(150), N_STATES * draws)
    state = np.tile(np.repeat(np.arange(N_STATES), draws), 150)
    paths = simulate_paths(chains.take(fam), 6, np.random.default_rng(9), initial=state)
    hit = (paths.n_recorded > 0).any(axis=0).reshape(150, N_STATES, draws).mean(axis=2)
    se = np.sqrt(exact * (1 - exact) / draws)
    z = (hit - exact) / np.maximum(se, 1e-3)
    assert np.abs(z).max() < 5
    assert abs(z.mean()) < 0.2  # no systematic bias over 750 (family, state) cells
    assert np.corrcoef(hit.ravel(), exact.ravel())[0, 1] > 0.97


def test_recorded_outcomes_never_exceed_true_incidents(small_population: Population) -> None:
    per_month = (
        small_population.events.outcomes.with_columns(month=pl.col("event_date").dt.truncate("1mo"))
        .group_by("family_id", "month")
        .len()
    )
    joined = per_month.join(small_population.truth, on=["family_id", "month"])
    assert joined.height == per_month.height
    assert (joined["len"] <= joined["true_incidents"]).all()
    truth = small_population.truth
    # most true incidents are never recorded as a serious outcome
    assert small_population.events.outcomes.height < 0.2 * int(truth["true_incidents"].sum())


def test_agency_views_are_partial_and_noisy(small_population: Population) -> None:
    ev = small_population.events
    truth = small_population.truth
    bad = truth.filter(pl.col("true_incidents") > 0)["family_id"].unique()
    police_families = ev.police_signals["family_id"].unique()
    # police see a minority of the families with violence, and see some without it
    assert np.mean(police_families.is_in(bad.implode()).to_numpy()) > 0.7
    seen = np.mean(bad.is_in(police_families.implode()).to_numpy())
    assert 0.05 < seen < 0.7
    hits = ev.medical_screenings.select(
        pl.sum_horizontal("hits_hurt", "hits_insult", "hits_threaten", "hits_scream") > 10
    ).to_series()
    assert 0.005 < np.mean(hits.to_numpy()) < 0.3
    # screenings are of adult women, surveys of children
    persons = ev.persons.select("person_id", "role", "sex")
    women = ev.medical_screenings.join(persons, on="person_id")
    assert (women["role"] == "adult").all()
    assert (women["sex"] == "female").all()
    kids = ev.school_surveys.join(persons, on="person_id")
    assert (kids["role"] == "child").all()
    assert set(ev.school_surveys["event_date"].dt.month().unique().to_list()) == {3, 10}


def test_orders_expire_and_few_are_extended(small_population: Population) -> None:
    ps = small_population.events.police_signals
    orders = ps.filter(pl.col("kind").is_in(["protective_order", "court_requirements"]))
    others = ps.filter(~pl.col("kind").is_in(["protective_order", "court_requirements"]))
    assert orders.height > 0
    assert orders["valid_until"].is_not_null().all()
    assert others["valid_until"].is_null().all()
    po = orders.filter(pl.col("kind") == "protective_order")
    days = (po["valid_until"] - po["event_date"]).dt.total_days()
    assert (days == 30).all()
    assert ps.filter(pl.col("kind") == "order_violation").height > 0
    assert ps.filter(pl.col("kind") == "court_requirements").height < po.height


def _police_by_group(pop: Population) -> pl.DataFrame:
    fam = pop.events.families.select("family_id", "ethnicity")
    return (
        pop.events.police_signals.join(fam, on="family_id")
        .group_by(russian=pl.col("ethnicity") == "russian")
        .len()
        .sort("russian")
    )


def test_police_multiplier_doubles_a_groups_signals_at_equal_truth(
    small_population: Population,
) -> None:
    biased = simulate(
        small_population.config.model_copy(
            update={"police_multiplier_by_group": {"ethnicity": {"russian": 2.0}}}
        )
    )
    assert biased.truth.equals(small_population.truth)  # the same true risk and incidents
    assert biased.events.outcomes.height == small_population.events.outcomes.height
    base = _police_by_group(small_population)["len"].to_numpy()
    more = _police_by_group(biased)["len"].to_numpy()
    assert 1.6 < more[1] / base[1] < 2.4  # russian families: roughly doubled
    assert 0.85 < more[0] / base[0] < 1.15  # everyone else: unchanged


def test_district_multiplier_targets_one_district(small_population: Population) -> None:
    district = small_population.events.families["district"].mode().sort()[0]
    biased = simulate(
        small_population.config.model_copy(
            update={"police_multiplier_by_district": {district: 0.0}}
        )
    )
    fam = biased.events.families.filter(pl.col("district") == district)["family_id"]
    signals = biased.events.police_signals.filter(pl.col("family_id").is_in(fam.implode()))
    # only signals tied to recorded serious incidents (and their orders) remain there
    assert set(signals["kind"].unique().to_list()) <= {
        "criminal_offense", "order_violation", "protective_order", "court_requirements",
        "preventive_registration",
    }  # fmt: skip


def test_survey_coverage_by_urban_rural() -> None:
    cfg = SimulationConfig(
        families=2000, months=12, start=dt.date(2023, 1, 1), seed=3,
        survey_coverage={"urban": 0.9, "rural": 0.3},
    )  # fmt: skip
    pop = simulate(cfg)
    fam = pop.events.families.select("family_id", "urban")
    surveyed = pop.events.school_surveys.join(fam, on="family_id")
    kids = pop.events.persons.filter(pl.col("role") == "child").join(fam, on="family_id")
    age = 2023 - kids["birth_year"]
    kids = kids.filter((age >= 7) & (age <= 17))
    rate = {
        u: surveyed.filter(pl.col("urban") == u).height / kids.filter(pl.col("urban") == u).height
        for u in (True, False)
    }
    # two survey terms in 12 months; coverage per term ~ knob
    assert 2.2 < rate[True] / rate[False] < 3.8


def test_realised_stats_and_plot(small_population: Population, tmp_path: Path) -> None:
    stats = realised_stats(small_population)
    data = _labelled(small_population, [6, 12, 18, 24, 30])
    assert stats.base_rate_6m == pytest.approx(float(np.mean(data["y"].to_numpy())))
    expected_auc = roc_auc_score(data["y"].to_numpy(), data["p_incident_6m"].to_numpy())
    assert stats.oracle_auc_6m == pytest.approx(expected_auc)
    assert sum(stats.outcomes_by_kind.values()) == small_population.events.outcomes.height
    assert 0.5 < stats.children_surveyed_per_term["urban"] <= 1.0
    png = tmp_path / "plot.png"
    plot_population(small_population, png, families=2)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_hidden_traits_do_not_depend_on_ethnicity_given_income() -> None:
    # No public figure supports an ethnic difference in risk: within an income group, the
    # hidden traits of every ethnic group must be drawn alike (the audit must not find a
    # difference the simulator planted).
    h = make_households(60_000, dt.date(2023, 1, 1), np.random.default_rng(11))
    kazakh = h.ethnicity == 0
    for trait in (h.alcohol, h.stress, h.prior_violence):
        for income in range(3):
            a, b = trait[kazakh & (h.income == income)], trait[~kazakh & (h.income == income)]
            pooled = np.concatenate([a, b]).mean()
            se = np.sqrt(pooled * (1 - pooled) * (1 / len(a) + 1 / len(b)))
            assert abs(a.mean() - b.mean()) < 4 * se
    # income still moves risk (documented: income -> stress, low income -> alcohol)
    assert h.stress[h.income == 0].mean() > 2 * h.stress[h.income == 2].mean()
    assert h.alcohol[h.income == 0].mean() > h.alcohol[h.income == 2].mean() + 0.03


def test_true_need_counts_every_true_incident_in_the_window(small_population: Population) -> None:
    truth = small_population.truth
    as_of = [dt.date(2024, 1, 1), dt.date(2024, 7, 1)]
    rows = truth.filter(pl.col("month").is_in(as_of)).select(
        pl.col("month").alias("as_of"), "family_id"
    )
    need = rows.with_columns(need=true_need(truth, rows)).to_dicts()
    rng = np.random.default_rng(3)
    for i in rng.choice(len(need), 200, replace=False):
        row = need[int(i)]
        end = dt.date(row["as_of"].year, row["as_of"].month + 5, 1)  # Jan->Jun, Jul->Dec
        incidents = truth.filter(
            (pl.col("family_id") == row["family_id"])
            & pl.col("month").is_between(row["as_of"], end)
        )["true_incidents"].sum()
        assert row["need"] == int(incidents > 0)
    # a recorded serious incident is a true incident, so the label implies the true need
    labelled = labelled_truth(small_population).filter(pl.col("y") == 1)
    rows = labelled.select(pl.col("month").alias("as_of"), "family_id")
    assert rows.height > 0
    assert true_need(truth, rows).min() == 1
    late = rows.with_columns(as_of=pl.lit(dt.date(2025, 10, 1)))
    with pytest.raises(ValueError, match="truth: expected months up to 2026-03-01"):
        true_need(truth, late)
