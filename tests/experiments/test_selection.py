"""The champion among model families: the gate first, then precision at capacity, then the
simplest family within one standard error of the best."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.selection import (
    Standing,
    choose,
    flagged_rows,
    paired_standard_error,
    pairwise_standard_errors,
)
from model.learners import FAMILIES


def _s(family: str, precision: float, *, passed: bool = True, flagged: int = 1000) -> Standing:
    return Standing(family=family, precision=precision, flagged=flagged, passed=passed)  # type: ignore[arg-type]


def test_a_simpler_family_within_one_standard_error_wins() -> None:
    choice = choose([_s("lightgbm", 0.180), _s("logistic", 0.175)])
    se = math.sqrt(0.18 * 0.82 / 1000 + 0.175 * 0.825 / 1000)
    assert choice.champion == "logistic"
    assert choice.best == "lightgbm"
    assert choice.tolerance == pytest.approx(se)
    assert choice.margin == pytest.approx(-0.005)


def test_a_clearly_better_complex_family_wins() -> None:
    choice = choose([_s("lightgbm", 0.25, flagged=5000), _s("logistic", 0.18, flagged=5000)])
    assert choice.champion == "lightgbm"
    assert choice.margin == pytest.approx(0.07)


def test_only_candidates_that_pass_the_gate_compete() -> None:
    choice = choose([_s("lightgbm", 0.30), _s("logistic", 0.10, passed=False), _s("ebm", 0.2)])
    assert choice.champion == "lightgbm"
    choice = choose([_s("lightgbm", 0.30, passed=False), _s("logistic", 0.10)])
    assert choice.champion == "logistic"
    assert math.isnan(choice.margin)  # alone in the pool


def test_when_none_passes_all_compete() -> None:
    choice = choose([_s("lightgbm", 0.30, passed=False), _s("logistic", 0.10, passed=False)])
    assert choice.champion == "lightgbm"


def test_no_candidate_is_an_error() -> None:
    with pytest.raises(ValueError, match="candidates: expected at least one, got none"):
        choose([])


def test_flagged_rows_come_back_from_the_metrics() -> None:
    # 10,000 rows, 300 positives; 500 flagged holding 90 positives: P 0.18, R 0.30
    metrics = {
        "n": 10_000.0,
        "base_rate": 0.03,
        "precision_at_5pct_district_expected": 0.18,
        "recall_at_5pct_district_expected": 0.30,
    }
    assert flagged_rows(metrics) == 500


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0.0, 1.0), st.booleans(), st.integers(1, 10_000)),
        min_size=len(FAMILIES),
        max_size=len(FAMILIES),
    )
)
def test_the_rule_holds_for_any_standings(rows: list[tuple[float, bool, int]]) -> None:
    standings = [
        Standing(family=f, precision=p, passed=ok, flagged=k)
        for f, (p, ok, k) in zip(FAMILIES, rows, strict=True)
    ]
    choice = choose(standings)
    by = {s.family: s for s in standings}
    pool = [s for s in standings if s.passed] or standings
    champion, best = by[choice.champion], by[choice.best]
    assert champion in pool
    assert best.precision == max(s.precision for s in pool)
    assert champion.precision >= best.precision - choice.tolerance
    # no simpler family in the pool was also within tolerance of the best
    for s in pool:
        if FAMILIES.index(s.family) < FAMILIES.index(champion.family):
            se = math.sqrt(
                best.precision * (1 - best.precision) / best.flagged
                + s.precision * (1 - s.precision) / s.flagged
            )
            assert s.precision < best.precision - se


def test_the_choice_says_how_the_champion_won() -> None:
    close = choose([_s("lightgbm", 0.180), _s("logistic", 0.175)]).describe()
    assert close.startswith("logistic, within one standard error of lightgbm: margin -0.0050")
    clear = choose([_s("lightgbm", 0.25, flagged=5000), _s("logistic", 0.18, flagged=5000)])
    assert clear.describe().startswith("lightgbm, the best: margin +0.0700")
    alone = choose([_s("lightgbm", 0.30, passed=False), _s("logistic", 0.10)]).describe()
    assert alone == "logistic, alone in the choice (the only candidate, or the only one to pass)"


def _lists(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    w = np.zeros(n)
    w[rng.choice(n, size=k, replace=False)] = 1.0
    return w


def test_the_paired_error_is_zero_for_the_same_list_and_binomial_for_unrelated_ones() -> None:
    rng = np.random.default_rng(0)
    n, k, p = 40_000, 2_000, 0.2
    y = (rng.random(n) < p).astype(float)
    own = np.arange(n)
    a, b = _lists(n, k, rng), _lists(n, k, rng)
    assert paired_standard_error(y, (a, a), clusters=own) == 0.0
    binomial = math.sqrt(2 * p * (1 - p) / k)
    assert paired_standard_error(y, (a, b), clusters=own) == pytest.approx(binomial, rel=0.2)
    # two lists that share most families differ less than two unrelated ones
    c = a.copy()
    c[np.flatnonzero(a)[:200]] = 0.0
    c[np.flatnonzero(a == 0)[:200]] = 1.0
    assert paired_standard_error(y, (a, c), clusters=own) < binomial / 2


def test_a_family_judged_in_several_months_counts_once_in_the_error() -> None:
    """Three months of the same families, with the same labels and lists: three times the rows,
    but no more information; the error must not shrink by the square root of three."""
    rng = np.random.default_rng(1)
    n, k, p = 20_000, 1_000, 0.2
    y = (rng.random(n) < p).astype(float)
    a, b = _lists(n, k, rng), _lists(n, k, rng)
    once = paired_standard_error(y, (a, b), clusters=np.arange(n))
    thrice = paired_standard_error(
        np.tile(y, 3), (np.tile(a, 3), np.tile(b, 3)), clusters=np.tile(np.arange(n), 3)
    )
    assert thrice == pytest.approx(once, rel=0.2)
    naive = math.sqrt(2 * p * (1 - p) / (3 * k))  # the rows as if independent
    assert thrice > 1.4 * naive


def test_the_paired_error_decides_when_given() -> None:
    standings = [_s("lightgbm", 0.180), _s("logistic", 0.175)]
    assert choose(standings).champion == "logistic"  # within the independent error (0.017)
    narrow = {frozenset(("lightgbm", "logistic")): 0.002}  # the lists share most families
    choice = choose(standings, difference_se=narrow)  # type: ignore[arg-type]
    assert choice.champion == "lightgbm"
    assert choice.tolerance == 0.002  # against the runner-up, the logistic regression


def test_lists_too_small_to_resample_fall_back_to_the_independent_error() -> None:
    empty = np.zeros(0)
    assert math.isnan(paired_standard_error(empty, (empty, empty), clusters=empty))
    y, nobody = np.ones(10), np.zeros(10)
    weights = {"logistic": nobody, "lightgbm": nobody}
    assert pairwise_standard_errors(y, weights, clusters=np.arange(10)) == {}  # type: ignore[arg-type]
    standings = [_s("lightgbm", 0.180), _s("logistic", 0.175)]
    choice = choose(standings, difference_se={})
    assert choice.tolerance == choose(standings).tolerance
