"""The champion chosen among model families by the gate.

Every candidate family (`model.learners.FAMILIES`) is fitted on the same rows and judged by the
same gate on the same judging rows. Among the candidates that pass, the one with the highest
expected precision at the council's capacity (the top 5% of each district list, random
tie-breaking) is the best; the champion is the simplest candidate whose precision is within
one standard error of the best's (Breiman's one-standard-error rule: a difference the judging
rows cannot tell from noise does not buy a more complex model). When no candidate passes, the
same rule picks among all of them, and the run's gate fails with that candidate's failures.

The standard error is that of a difference between two proportions over the rows each list
holds, as if independent: it ignores that both rankers are judged on the same rows (which
would narrow it) and that a family is judged in several months (which would widen it).

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
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

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
    tolerance: float  # one standard error of the champion's and the best's difference
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


def choose(standings: Sequence[Standing]) -> Choice:
    """The champion among `standings` (see the module docstring)."""
    if not standings:
        raise ValueError("candidates: expected at least one, got none")
    pool = [s for s in standings if s.passed] or list(standings)
    simplest_first = sorted(pool, key=lambda s: FAMILIES.index(s.family))
    best = max(simplest_first, key=lambda s: s.precision)
    for s in simplest_first:
        tolerance = math.sqrt(_variance(best) + _variance(s))
        if s.precision >= best.precision - tolerance:
            others = [o.precision for o in pool if o.family != s.family]
            margin = s.precision - max(others) if others else float("nan")
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
