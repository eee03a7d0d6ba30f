"""The champion chosen among model families by the gate.

Every candidate family (`model.learners.FAMILIES`) is fitted on the same rows and judged by the
same gate on the same judging rows. Among the candidates that pass, the one with the highest
expected precision at the council's capacity (the top 5% of each district list, random
tie-breaking) is the best; the champion is the simplest candidate whose precision is within
one standard error of the best's (Breiman's one-standard-error rule: a difference the judging
rows cannot tell from noise does not buy a more complex model). When no candidate passes, the
same rule picks among all of them, and the run's gate fails with that candidate's failures.

The standard error is that of the paired difference between two candidates' precisions on
the same judging rows (`paired_standard_error`): a bootstrap over families, each family's
judged months resampled together, with each ranker's lists held as they are (a row's weight is
its probability of being listed under random tie-breaking, `model.metrics.inclusion_weights`).
Pairing narrows it where two rankers list the same families; the clustering widens it where a
family is judged in several months. Without the rows (a caller that has only the figures) the
choice falls back to two independent proportions.

Judged ``out_of_time`` (the default), the candidates are fitted as if trained at the first
judging month: no record known after it, their own early stopping and calibration months
ending one label horizon before it, so nothing of the judging period reaches them in any form.
The winner is then refitted on everything up to the run's cut-off (`experiments.training`).
Judged ``held_out``, the candidates are judged on the held-out months they stopped early and
were calibrated on, whose label windows overlap the training labels (optimistic for flexible
models, docs/model.md).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from model.gates import GateResult, describe
from model.learners import FAMILIES, Family

Judging = Literal["out_of_time", "held_out"]
#: The figure the choice is made on.
CHOICE_METRIC = "precision_at_5pct_district_expected"


def ranker_name(family: Family) -> str:
    """The key of a candidate among a run's rankers (`candidate_lightgbm`, ...)."""
    return f"candidate_{family}"


@dataclass(frozen=True)
class Standing:
    """One candidate as the choice sees it."""

    family: Family
    precision: float  # CHOICE_METRIC
    flagged: int  # rows on the lists at capacity
    passed: bool


@dataclass(frozen=True)
class Choice:
    champion: Family
    best: Family  # the highest precision among the pool (passers, or all when none passed)
    #: One standard error of the champion's difference with the best or, when it is the
    #: best, with the runner-up (with itself when alone: the binomial error, for reference).
    tolerance: float
    margin: float  # champion's precision minus the best other in the pool's (NaN when alone)

    def describe(self) -> str:
        """How the champion won, in a few words (progress lines and the CLI)."""
        if math.isnan(self.margin):
            alone = "alone in the choice (the only candidate, or the only one to pass)"
            return f"{self.champion}, {alone}"
        won = (
            "the best"
            if self.champion == self.best
            else f"within one standard error of {self.best}"
        )
        return (
            f"{self.champion}, {won}: margin {self.margin:+.4f} over the next candidate, one "
            f"standard error {self.tolerance:.4f}"
        )


def flagged_rows(metrics: Mapping[str, float]) -> int:
    """Rows on the district lists at capacity, from a ranker's flat metrics."""
    precision = metrics["precision_at_5pct_district_expected"]
    recall = metrics["recall_at_5pct_district_expected"]
    positives = metrics["n"] * metrics["base_rate"]
    if not precision > 0:
        return max(1, round(0.05 * metrics["n"]))
    return max(1, round(recall * positives / precision))


#: Bootstrap resamples of the paired standard error.
N_BOOT = 400


def paired_standard_error(
    label: np.ndarray,
    weights: tuple[np.ndarray, np.ndarray],
    *,
    clusters: np.ndarray,
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> float:
    """Bootstrap standard error of ``precision(a) - precision(b)`` on the same rows, where a
    ranker's precision is ``sum(w * y) / sum(w)`` over its inclusion weights `w`; the rows of
    one cluster (a family's judged months) are resampled together (Poisson weights)."""
    y = np.asarray(label, dtype=np.float64)
    _, family = np.unique(np.asarray(clusters), return_inverse=True)
    n = int(family.max()) + 1 if len(family) else 0
    sums = [
        (np.bincount(family, w * y, minlength=n), np.bincount(family, w, minlength=n))
        for w in weights
    ]
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    for start in range(0, n_boot, 100):  # in blocks: 100 x families counts at a time
        m = rng.poisson(1.0, (min(100, n_boot - start), n)).astype(np.float64)
        (num_a, den_a), (num_b, den_b) = ((m @ num, m @ den) for num, den in sums)
        kept = (den_a > 0) & (den_b > 0)  # a resample that drew none of a list's families
        out.append(num_a[kept] / den_a[kept] - num_b[kept] / den_b[kept])
    differences = np.concatenate(out)
    return float(np.std(differences, ddof=1)) if len(differences) > 1 else float("nan")


def pairwise_standard_errors(
    label: np.ndarray,
    weights: Mapping[Family, np.ndarray],
    *,
    clusters: np.ndarray,
    seed: int = 0,
) -> dict[frozenset[Family], float]:
    """`paired_standard_error` of every pair of candidates; a pair whose error is not finite
    (lists too small to resample) is left out, and `choose` falls back to the independent
    error for it."""
    out: dict[frozenset[Family], float] = {}
    for a, b in itertools.combinations(weights, 2):
        se = paired_standard_error(label, (weights[a], weights[b]), clusters=clusters, seed=seed)
        if math.isfinite(se):
            out[frozenset((a, b))] = se
    return out


def choose(
    standings: Sequence[Standing],
    *,
    difference_se: Mapping[frozenset[Family], float] | None = None,
) -> Choice:
    """The champion among `standings` (see the module docstring). `difference_se`: the paired
    standard error of each pair (`pairwise_standard_errors`); without it, two independent
    proportions'."""
    if not standings:
        raise ValueError("candidates: expected at least one, got none")
    pool = [s for s in standings if s.passed] or list(standings)
    simplest_first = sorted(pool, key=lambda s: FAMILIES.index(s.family))
    best = max(simplest_first, key=lambda s: s.precision)

    def error(a: Standing, b: Standing) -> float:
        pair = frozenset((a.family, b.family))
        if difference_se is not None and a.family != b.family and pair in difference_se:
            return difference_se[pair]
        return math.sqrt(_variance(a) + _variance(b))

    for s in simplest_first:
        if s.precision >= best.precision - error(s, best):
            others = [o for o in pool if o.family != s.family]
            runner = max(others, key=lambda o: o.precision) if others else None
            margin = s.precision - runner.precision if runner else float("nan")
            # the champion against the best or, when it is the best, against the runner-up
            tolerance = error(s, runner if s is best and runner is not None else best)
            return Choice(champion=s.family, best=best.family, tolerance=tolerance, margin=margin)
    raise AssertionError("unreachable: the best candidate is within tolerance of itself")


def _variance(s: Standing) -> float:
    p = min(max(s.precision, 0.0), 1.0)
    return p * (1.0 - p) / s.flagged


@dataclass(frozen=True)
class CandidateResult:
    """What the run records of one candidate."""

    family: Family
    summary: str  # the learner's size (`Learner.summary`)
    metrics: dict[str, float]
    gate: GateResult
    fairness_summary: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        keys = ("auc", "precision_at_5pct_expected", CHOICE_METRIC, "ece")
        return {
            "family": self.family,
            "summary": self.summary,
            "metrics": {k: self.metrics[k] for k in keys if k in self.metrics},
            "gate_passed": self.gate.passed,
            "gate_failures": [describe(f) for f in self.gate.failures],
        }


@dataclass(frozen=True)
class Selection:
    """How the run's champion family was chosen, for the model card, MLflow and the pages."""

    judging: Judging
    judged_as_of: list[dt.date]
    fitted_as_of: list[dt.date]  # the candidates' training and early-stopping months
    candidates: list[CandidateResult]
    choice: Choice
    refit: bool  # the champion was refitted on everything up to the run's cut-off

    @property
    def champion(self) -> CandidateResult:
        return next(c for c in self.candidates if c.family == self.choice.champion)

    def to_dict(self) -> dict[str, Any]:
        return {
            "judging": self.judging,
            "judged_as_of": [d.isoformat() for d in self.judged_as_of],
            "fitted_as_of": [d.isoformat() for d in self.fitted_as_of],
            "champion": self.choice.champion,
            "best": self.choice.best,
            "tolerance": self.choice.tolerance,
            "margin": self.choice.margin,
            "refit": self.refit,
            "candidates": [c.to_dict() for c in self.candidates],
        }
