"""Seeded synthetic scores frames for the fairness tests (no model, no simulator)."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from fairness import TopPct, audit
from fairness.report import AuditReport


def scores_frame(
    n: int = 4000,
    *,
    seed: int = 0,
    shift: float = 1.0,
    shifted_group: str = "b",
) -> pl.DataFrame:
    """Families with a calibrated score; ``shift`` < 1 scales down the scores of one group.

    With ``shift=1`` the score means the same in every group (no disparity by construction);
    with ``shift=0.5`` the tool under-states ``shifted_group``'s risk, so it misses more of its
    labelled families (higher FNR and FOR) and is miscalibrated for it.
    """
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c", "d"], size=n, p=[0.5, 0.3, 0.185, 0.015])
    urban = rng.random(n) < 0.55
    district = rng.choice(["d1", "d2", "d3", "d4"], size=n)
    risk = rng.beta(1.2, 10.0, size=n)
    label = rng.random(n) < risk
    score = np.where(group == shifted_group, risk * shift, risk)
    return pl.DataFrame(
        {
            "score": score,
            "label": label.astype(np.int64),
            "group": group,
            "urban": urban,
            "district": district,
        }
    )


def audit_scores(frame: pl.DataFrame, **options: Any) -> AuditReport:
    """`fairness.audit` of a frame shaped like `scores_frame` (its `score` and `label`)."""
    return audit(frame, score_col="score", label_col="label", **options)


def gate_report(*, seed: int, shift: float = 1.0, n: int = 4000, n_boot: int = 300) -> AuditReport:
    """The audit the gate tests read: group and urban, the top 10 % flagged within each
    district, `seed` both for the frame and for the bootstrap."""
    return audit_scores(
        scores_frame(n, seed=seed, shift=shift),
        group_cols=["group", "urban"],
        flag=TopPct(10),
        within="district",
        n_boot=n_boot,
        seed=seed,
    )


def calibrated_frame(
    n: int = 4000, *, seed: int = 0, odds: float = 1.0, base_rate_group: str | None = None
) -> pl.DataFrame:
    """Families of groups a/b/c, the top of each district flagged; scores are probabilities.

    ``odds`` multiplies group b's odds in its score (< 1: the tool under-states b's risk, the
    way a model blind to income under-predicts for the poorest; > 1: it over-states it, the way
    police over-recording of a group inflates its records). ``base_rate_group`` draws that
    group's true risk from a riskier distribution (mean about 19% against 11%) while every
    score stays the true probability: calibrated within groups, different base rates.
    """
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    district = rng.choice(["d1", "d2", "d3", "d4"], size=n)
    riskier = group == base_rate_group
    risk = np.where(riskier, rng.beta(2.4, 10.0, size=n), rng.beta(1.2, 10.0, size=n))
    label = rng.random(n) < risk
    odds_b = np.where(group == "b", odds, 1.0) * risk / (1.0 - risk)
    score = odds_b / (1.0 + odds_b)
    return pl.DataFrame(
        {"score": score, "label": label.astype(np.int64), "group": group, "district": district}
    )


def calibrated_report(frame: pl.DataFrame, *, seed: int, n_boot: int = 300) -> AuditReport:
    """The gate's audit of a `calibrated_frame`: the top 10% within each district."""
    return audit_scores(
        frame, group_cols=["group"], flag=TopPct(10), within="district", n_boot=n_boot, seed=seed
    )
