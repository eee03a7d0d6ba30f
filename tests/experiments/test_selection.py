"""The champion among model families: the gate first, then precision at capacity, then the
simplest family within one standard error of the best."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.selection import Standing, choose, flagged_rows
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
