"""The records ceiling is the exact posterior it claims to be.

Checked four ways: its inputs against the simulator's own code (chains, trait rates, recording
lags, answer likelihoods, by Monte Carlo where the simulator draws); the forward filter against
brute-force enumeration of every hidden path and count on a toy population; its quadrature
against a finer one; and the result against realised labels (calibration) and against the
oracle and a simple baseline (ranking).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from features.months import months_after
from features.pipeline.labels import build_labels
from features.simulator import Population, SimulationConfig, simulate
from features.simulator import dynamics as dyn
from features.simulator import instruments as ins
from features.simulator import police as pol
from features.simulator.answers import clinic_answers, school_answers
from features.simulator.ceiling import (
    Hypotheses,
    hypothesis_chains,
    make_hypotheses,
    records_ceiling,
    trait_prior,
)
from features.simulator.ceiling_records import (
    LESSER,
    known_share,
    outcome_lag,
    police_lag,
    read_families,
    uniform_lag,
)
from features.simulator.population import make_households
from features.simulator.world import _month_grid, _multiplier, _streams

F64 = npt.NDArray[np.float64]
START = dt.date(2023, 1, 1)


# --- inputs against the simulator --------------------------------------------------------------


def test_hypothesis_chains_are_the_simulators() -> None:
    h = make_households(500, START, np.random.default_rng(3))
    truth = dyn.family_chains(h)
    hyp = Hypotheses(h.alcohol, h.stress, h.prior_violence, h.propensity, np.ones(500))
    ours = hypothesis_chains(hyp, np.array([0.2]))
    for field in ("multiplier", "rate", "up", "down", "shock", "help"):
        np.testing.assert_allclose(getattr(ours, field), getattr(truth, field), rtol=1e-12)


def test_family_inputs_are_the_simulators() -> None:
    config = SimulationConfig(
        families=400, months=7, start=START, seed=5,
        police_multiplier_by_group={"ethnicity": {"russian": 2.0}, "urban": {"false": 1.5}},
        police_multiplier_by_district={"Auezov": 0.5},
    )  # fmt: skip
    pop = simulate(config)
    h = make_households(config.families, START, _streams(config.seed)[0])
    fams = read_families(pop.events, config)
    rf = dyn.reporting_factor(h)
    np.testing.assert_allclose(fams.p_rec, np.clip(dyn.BASE_RECORDING * rf, 0, 0.9))
    mult = _multiplier(config, h)
    np.testing.assert_allclose(fams.p_rep, np.clip(pol.BASE_REPORTING * rf * mult, 0, 0.95))
    np.testing.assert_allclose(fams.false_calls, pol.FALSE_CALL_RATE * mult)
    woman = h.woman_row >= 0
    np.testing.assert_array_equal(fams.woman_birth_year[woman], h.woman_birth_year[woman])
    assert (fams.woman_birth_year[~woman] == -1).all()


def test_trait_prior_matches_the_households() -> None:
    n = 60_000
    h = make_households(n, START, np.random.default_rng(11))
    hyp = make_hypotheses(2)
    prior = trait_prior(hyp, h.income, h.disability)  # (H, families)
    for a, s, v in itertools.product((False, True), repeat=3):
        sel = (hyp.alcohol == a) & (hyp.stress == s) & (hyp.prior_violence == v)
        expected = prior[sel].sum(axis=0)
        seen = (h.alcohol == a) & (h.stress == s) & (h.prior_violence == v)
        z = (seen.sum() - expected.sum()) / math.sqrt((expected * (1 - expected)).sum())
        assert abs(z) < 4.5, (a, s, v, z)
    np.testing.assert_allclose(prior.sum(axis=0), 1.0)


@pytest.mark.parametrize("source", ["police", "outcome_children", "outcome_none", "clinic"])
def test_known_share_matches_simulated_lags(source: str) -> None:
    """The share of a month's records known at the cut-off, against the simulator's draws."""
    rng = np.random.default_rng(2)
    n, m0, m1 = 400_000, 100, 128  # a February, cut-off 2 days after it ends
    cut = m1 + 2
    day = m0 + (rng.random(n) * (m1 - m0)).astype(np.int64)
    police = pol._delay(rng, n, 0.6, 10)
    if source == "police":
        lag, pmf = police, police_lag()
    elif source == "clinic":
        lag, pmf = rng.integers(0, 15, n), uniform_lag(14)
    else:
        children = source == "outcome_children"
        u = rng.random(n)
        care = (u >= pol.P_HOSPITAL) & (u < pol.P_HOSPITAL + pol.P_GUARDIANSHIP) & children
        lag = np.select(
            [u < pol.P_HOSPITAL, care], [rng.integers(0, 8, n), rng.integers(0, 31, n)], police
        )
        pmf = outcome_lag(children)
    q = known_share(pmf, m0, m1, cut)
    seen = float((day + lag < cut).mean())
    assert abs(seen - q) < 4 * math.sqrt(q * (1 - q) / n) + 1e-12
    assert 0.3 < q < 1.0


def _paths(n: int, months: int, state: int, incident: bool) -> dyn.Paths:
    return dyn.Paths(
        state=np.full((months, n), state, np.int8),
        n_recorded=np.zeros((months, n), np.int16),
        n_unrecorded=np.full((months, n), int(incident), np.int16),
    )


@pytest.mark.parametrize("state", [0, 2, 4])
def test_clinic_answer_likelihood_matches_simulated_answers(state: int) -> None:
    h = make_households(20_000, START, np.random.default_rng(5))
    days, years, _ = _month_grid(START, 12)
    none = np.zeros(0, np.int64)
    cols = ins.clinic_screenings(h, _paths(20_000, 12, state, False), days, years, none, none,
                                 np.random.default_rng(6))  # fmt: skip
    ans = np.stack(
        [cols[k] for k in ("wast_tension", "wast_arguments", "hits_hurt", "hits_insult",
                           "hits_threaten", "hits_scream", "phq2")], axis=1
    ).astype(np.int64)  # fmt: skip
    patterns, counts = np.unique(ans, axis=0, return_counts=True)
    top = np.argsort(-counts)[:4]
    p = np.exp(clinic_answers(patterns[top])[:, state])
    expected = len(ans) * p
    z = (counts[top] - expected) / np.sqrt(expected * (1 - p))
    assert np.all(np.abs(z) < 4.5), (counts[top], expected)


@pytest.mark.parametrize(("state", "incident"), [(0, False), (2, True), (4, True)])
def test_school_answer_likelihood_matches_simulated_answers(state: int, incident: bool) -> None:
    h = make_households(20_000, START, np.random.default_rng(8))
    days, years, cal = _month_grid(START, 12)
    cols = ins.school_surveys(h, _paths(20_000, 12, state, incident), days, cal, years,
                              np.full(20_000, 0.85), np.random.default_rng(9))  # fmt: skip
    low = (h.income[cols["family"]] == 0).astype(np.int64)
    names = ("feels_safe", "afraid_of_adult", "seen_violence", "hurt_by_adult", "hunger_neglect",
             "wants_counsellor")  # fmt: skip
    teacher = ("unexplained_injury", "behaviour_change", "days_absent")
    ans = np.stack([*(cols[k] for k in names), low, *(cols[k] for k in teacher)], axis=1)
    ans = ans.astype(np.int64)
    patterns, counts = np.unique(ans, axis=0, return_counts=True)
    p = np.exp(school_answers(patterns)[:, int(incident), state])
    top = np.argsort(-counts)[:4]
    # the likelihood is conditional on the family's income flag (column 6), which is given
    same_income = (ans[:, 6][None, :] == patterns[top, 6][:, None]).sum(axis=1)
    expected = same_income * p[top]
    z = (counts[top] - expected) / np.sqrt(expected * (1 - p[top]))
    assert np.all(np.abs(z) < 4.5), (counts[top], expected)


# --- the filter against brute force ------------------------------------------------------------


def _pois(k: F64, lam: F64) -> F64:
    out: F64 = np.exp(k * np.log(np.maximum(lam, 1e-300)) - lam - np.vectorize(math.lgamma)(k + 1))
    full: F64 = np.where(lam > 0, out, (k == 0).astype(np.float64))
    return full


def _binom(k: int, n: F64, q: float) -> F64:
    if q >= 1.0:
        exact: F64 = (n == k).astype(np.float64)
        return exact
    comb = np.where(n >= k, np.vectorize(math.comb)(n.astype(np.int64), k), 0)
    out: F64 = comb * q**k * (1 - q) ** np.maximum(n - k, 0)
    return out


def _brute_force(pop: Population, family: int, a: int, z_nodes: int) -> float:
    """P(outcome in the horizon | records known at month `a`) by enumerating, for every trait
    hypothesis, every state path and every month's counts of recorded, reported, unreported
    incidents, false calls and help (Poisson counts truncated where their tail is < 1e-12)."""
    ev, cfg = pop.events, pop.config
    fams = read_families(ev, cfg)
    fid = fams.ids[family]
    cut = (months_after(START, a) - dt.date(1970, 1, 1)).days
    firsts = [(months_after(START, k) - dt.date(1970, 1, 1)).days for k in range(a + 1)]
    hyp = make_hypotheses(z_nodes)
    n_h = hyp.size
    c = hypothesis_chains(hyp, fams.p_rec[family : family + 1])
    prior = trait_prior(hyp, fams.income[family : family + 1], fams.disability[family : family + 1])
    lam, p = c.rate[:, :, None, None, None], c.p_record[:, :, None, None, None]
    p_rep, calls = fams.p_rep[family], fams.false_calls[family]
    n_r = np.arange(13.0)[:, None, None]
    n_x = np.arange(13.0)[None, :, None]
    n_f = np.arange(5.0)[None, None, :]
    visit = ins.VISIT_RATE[int(fams.urban[family])] * (1 + 0.6 * (np.arange(5) >= 3))

    def month_of(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.filter(
            (pl.col("family_id") == fid) & (pl.col("knowledge_date").cast(pl.Int64) < cut)
        ).with_columns(_t=(pl.col("event_date").dt.year() - START.year) * 12
                       + pl.col("event_date").dt.month() - START.month)  # fmt: skip

    outc, sig = month_of(ev.outcomes), month_of(ev.police_signals)
    sig = sig.filter(pl.col("kind").is_in([k.value for k in LESSER]))
    cli, sch = month_of(ev.medical_screenings), month_of(ev.school_surveys)
    hosp_days = set(outc.filter(pl.col("kind") == "hospital_injury")["event_date"].to_list())
    low = int(fams.income[family] == 0)
    weapon = 0.01 + 0.04 * (np.arange(5) >= 3)
    kernels = []
    for t in range(a):
        m0, m1 = firsts[t], firsts[t + 1]
        q_out = known_share(outcome_lag(bool(fams.kinds[fams.kind[family], 2])), m0, m1, cut)
        q_pol = known_share(police_lag(), m0, m1, cut)
        q_cli = known_share(uniform_lag(14), m0, m1, cut)
        r_obs = outc.filter(pl.col("_t") == t).height
        kinds = sig.filter(pl.col("_t") == t)["kind"].to_list()
        # (H, S) factor of everything not tied to the month's incident, and per incident flag
        fixed = np.ones((n_h, 5))
        for kind in kinds:
            alc = np.where(hyp.alcohol, 0.22, 0.03)[:, None]
            fixed *= {
                "weapon_present": weapon[None, :] + 0 * alc,
                "alcohol_incident": alc + 0 * weapon[None, :],
                "administrative_offense": np.full((n_h, 5), 0.22),
                "domestic_call": 1 - weapon[None, :] - alc - 0.22,
            }[kind]
        by_inc = [np.ones((n_h, 5)), np.ones((n_h, 5))]
        rows = cli.filter(pl.col("_t") == t)
        year = START.year + t // 12
        wby = fams.woman_birth_year[family]
        routine_seen = False
        for row in rows.iter_rows(named=True):
            wast = {"none": 0, "some": 1, "a_lot": 2, "great": 2}
            ans = np.array([[wast[row["wast_tension"]], wast[row["wast_arguments"]],
                             row["hits_hurt"], row["hits_insult"], row["hits_threaten"],
                             row["hits_scream"], row["phq2"]]])  # fmt: skip
            lik = np.exp(clinic_answers(ans)[0])[None, :]
            # alcohol concern: 50% in alcohol families either way, else 4%
            lik = (
                lik * np.where(hyp.alcohol, 0.5, 0.04 if row["alcohol_concern"] else 0.96)[:, None]
            )
            if row["event_date"] in hosp_days:
                fixed *= lik
                continue
            routine_seen = True
            for inc in (0, 1):
                p_ii = 0.01 + 0.25 * (inc * (np.arange(5) >= 2))
                by_inc[inc] = (
                    by_inc[inc] * lik * np.where(row["injury_inconsistent"], p_ii, 1 - p_ii)
                )
        if wby >= 0 and 15 <= year - wby <= 49:
            fixed *= visit * q_cli if routine_seen else 1 - visit * q_cli
        for row in sch.filter(pl.col("_t") == t).iter_rows(named=True):
            ans = np.array([[row["feels_safe"], row["afraid_of_adult"], row["seen_violence"],
                             row["hurt_by_adult"], row["hunger_neglect"], row["wants_counsellor"],
                             low, row["unexplained_injury"], row["behaviour_change"],
                             row["days_absent"]]], dtype=np.int64)  # fmt: skip
            lik = np.exp(school_answers(ans)[0])
            by_inc = [by_inc[0] * lik[0][None, :], by_inc[1] * lik[1][None, :]]

        # enumerate the counts: recorded R, reported lesser X, false calls F, unreported Y > 0
        w_rfx = (
            _pois(n_r, lam * p)
            * _pois(n_x, lam * (1 - p) * p_rep)
            * _pois(n_f, calls)
            * _binom(r_obs, n_r, q_out)
            * _binom(len(kinds), n_x + n_f, q_pol)
        )  # fmt: skip  (H, S, R, X, F)
        p_y = 1 - np.exp(-lam * (1 - p) * (1 - p_rep))
        kernel = np.zeros((n_h, 5, 5))
        s = np.arange(5)[None, :, None, None, None]
        for y_pos, helped in itertools.product((False, True), repeat=2):
            incident = (n_r + n_x > 0) | y_pos
            w = w_rfx * (p_y if y_pos else 1 - p_y)
            p_help = np.where(n_r > 0, dyn.HELP_AFTER_RECORDED, c.help[:, :, None, None, None])
            w = w * (p_help if helped else 1 - p_help)
            w = w * np.where(
                incident, by_inc[1][:, :, None, None, None], by_inc[0][:, :, None, None, None]
            )
            e = (slice(None), slice(None), None, None, None)
            d, u, sh = dyn.moves(c.up[e], c.down[e], c.shock[:, None, None, None, None], s,
                                 incident, helped)  # fmt: skip
            for step, pr in ((-1, d), (1, u), (dyn.SHOCK_JUMP, sh), (0, 1 - d - u - sh)):
                to = np.clip(np.arange(5) + step, 0, 4)
                contrib = (w * pr).sum(axis=(2, 3, 4))  # (H, S)
                for s0 in range(5):
                    kernel[:, s0, to[s0]] += contrib[:, s0]
        kernels.append(kernel * fixed[:, :, None])
    joint = np.zeros((n_h, 5))
    pi0 = dyn.stationary(c)
    for path in itertools.product(range(5), repeat=a + 1):
        w = pi0[:, path[0]] * prior[:, 0]
        for t in range(a):
            w = w * kernels[t][:, path[t], path[t + 1]]
        joint[:, path[-1]] += w
    v = 1 - dyn.p_recorded_within(c, months=6)
    return float(1 - (joint * v).sum() / joint.sum())


@pytest.fixture(scope="module")
def toy() -> Population:
    config = SimulationConfig(families=600, months=7, start=START, seed=4,
                              police_multiplier_by_group={"urban": {"true": 1.5}})  # fmt: skip
    return simulate(config)


def test_filter_matches_brute_force_enumeration(toy: Population) -> None:
    a, z_nodes = 3, 3
    ev = toy.events
    end = months_after(START, a)
    busy = pl.concat([
        ev.outcomes.filter(pl.col("event_date") < end).select("family_id"),
        ev.police_signals.filter(pl.col("event_date") < end).select("family_id"),
        ev.medical_screenings.filter(pl.col("event_date") < end).select("family_id"),
    ]).group_by("family_id").len().sort("len", "family_id", descending=True)  # fmt: skip
    ids = ev.families["family_id"].to_list()
    chosen = [ids.index(f) for f in busy["family_id"].head(3).to_list()] + [0, 1]
    ceiling = records_ceiling(ev, toy.config, as_of_dates=[end], z_nodes=z_nodes)
    got = dict(zip(ceiling["family_id"].to_list(), ceiling["p"].to_list(), strict=True))
    for family in chosen:
        expected = _brute_force(toy, family, a, z_nodes)
        assert got[ids[family]] == pytest.approx(expected, rel=1e-7, abs=1e-10), ids[family]


def test_quadrature_error_is_small(toy: Population) -> None:
    """The propensity integral: 16 nodes (the default) against 40."""
    as_of = [months_after(START, 6)]
    coarse = records_ceiling(toy.events, toy.config, as_of_dates=as_of)["p"].to_numpy()
    fine = records_ceiling(toy.events, toy.config, as_of_dates=as_of, z_nodes=40)["p"].to_numpy()
    assert np.abs(coarse - fine).max() < 2e-4


# --- the result against realised labels --------------------------------------------------------

AS_OF = [dt.date(2023, 7, 1), dt.date(2024, 1, 1), dt.date(2024, 7, 1), dt.date(2025, 1, 1)]


@pytest.fixture(scope="module")
def scored(small_population: Population) -> pl.DataFrame:
    pop = small_population
    ceiling = records_ceiling(pop.events, pop.config, as_of_dates=AS_OF)
    rows = []
    for a in AS_OF:
        lab = build_labels(pop.events.outcomes, families=pop.events.families, as_of=a)
        # baseline: police signals and outcomes known in the 12 months before as_of
        since = months_after(a, -12)
        known = [
            getattr(pop.events, name)
            .filter((pl.col("knowledge_date") < a) & (pl.col("event_date") >= since))
            .select("family_id")
            for name in ("police_signals", "outcomes")
        ]
        counts = pl.concat(known).group_by("family_id").len("baseline")
        rows.append(
            lab.join(counts, on="family_id", how="left").with_columns(
                pl.col("baseline").fill_null(0), as_of=pl.lit(a)
            )
        )
    truth = pop.truth.select("family_id", pl.col("month").alias("as_of"), "p_incident_6m")
    return (
        pl.concat(rows)
        .join(ceiling, on=["family_id", "as_of"])
        .join(truth, on=["family_id", "as_of"])
    )


def test_ceiling_is_calibrated(scored: pl.DataFrame) -> None:
    """Mean predicted against observed within quintiles of the ceiling: a binomial z per bin.

    Rows of one family at different dates are correlated, so |z| < 4 rather than 3; with about
    300 positives a 20% miscalibration of the top bin would still show (z about 5).
    """
    y = scored["label"].to_numpy().astype(np.float64)
    p = scored["p"].to_numpy()
    assert abs(p.mean() - y.mean()) < 4 * math.sqrt((p * (1 - p)).sum()) / len(p)
    edges = np.quantile(p, [0.2, 0.4, 0.6, 0.8])
    bins = np.searchsorted(edges, p)
    for b in range(5):
        m = bins == b
        z = (y[m].sum() - p[m].sum()) / math.sqrt((p[m] * (1 - p[m])).sum())
        assert abs(z) < 4, (b, p[m].mean(), y[m].mean())


def test_oracle_averages_to_the_ceiling(scored: pl.DataFrame) -> None:
    """The tower property, a Monte Carlo check without label noise: the ceiling is E[oracle |
    records], so within bins of the ceiling the oracle's mean equals the ceiling's. Standard
    errors are clustered by family (its rows at four dates are correlated)."""
    p = scored["p"].to_numpy()
    diff = scored["p_incident_6m"].to_numpy() - p
    family = scored["family_id"].to_numpy()
    bins = np.searchsorted(np.quantile(p, [0.2, 0.4, 0.6, 0.8]), p)
    for b in range(5):
        m = bins == b
        per_family = (
            pl.DataFrame({"f": family[m], "d": diff[m]}).group_by("f").agg(pl.col("d").sum())
        )
        se = math.sqrt(float((per_family["d"].to_numpy() ** 2).sum())) / m.sum()
        assert abs(diff[m].mean()) < 4 * se, (b, p[m].mean(), diff[m].mean(), se)


def test_ceiling_ranks_between_baseline_and_oracle(scored: pl.DataFrame) -> None:
    """AUC standard errors here are about 0.015: the oracle leads by about 0.1, the ceiling
    leads a count of recent signals by about 0.05, so the margins below are 2 to 3 errors."""
    y = scored["label"].to_numpy()
    ceiling = roc_auc_score(y, scored["p"].to_numpy())
    oracle = roc_auc_score(y, scored["p_incident_6m"].to_numpy())
    baseline = roc_auc_score(y, scored["baseline"].to_numpy())
    assert ceiling <= oracle + 0.02
    assert ceiling >= baseline - 0.01


def test_bad_as_of_is_refused(toy: Population) -> None:
    with pytest.raises(ValueError, match="as_of_dates"):
        records_ceiling(toy.events, toy.config, as_of_dates=[dt.date(2023, 2, 15)])
    with pytest.raises(ValueError, match="as_of_dates"):
        records_ceiling(toy.events, toy.config, as_of_dates=[dt.date(2024, 1, 1)])
