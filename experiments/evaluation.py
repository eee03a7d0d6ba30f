"""Evaluation at one as-of date: the model, the baselines and (on simulated data) the oracle
and the records ceiling, scored on the same families and judged on the recorded incidents of
the following months. The references never gate; each raises a leakage alarm when a ranker is
above it (`compare` for the oracle, `experiments.ceiling.above_ceiling` for the ceiling).

Baselines are refitted on the model's own training as-of dates (stored in the model), with the
same records known before its training cut-off, so they see exactly what the model saw.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from experiments.ceiling import CeilingCheck, ceiling_frame, check_rankers
from experiments.helped import metrics_by_help
from experiments.rankers import all_metrics, score_rankers
from experiments.time_split import AGENCIES, drop_agency, known_before
from experiments.training import (
    BASELINES,
    GridBuilder,
    Progress,
    TrainingConfig,
    train,
    training_matrices,
)
from experiments.training import fit_baselines as training_baselines
from features.contracts import Events
from features.months import months_after
from features.pipeline.grid import build_grid
from features.simulator import SimulationConfig
from model.risk_model import RiskModel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvaluationResult:
    """Figures of every ranker at one as-of date, and how they compare."""

    as_of: dt.date
    horizon_months: int
    n: int
    base_rate: float
    metrics: dict[str, dict[str, float]]
    comparison: dict[str, Any]
    leakage_suspected: bool
    model_info: dict[str, Any] = field(default_factory=dict)
    ablation: dict[str, dict[str, float]] = field(default_factory=dict)
    ceiling_checks: list[CeilingCheck] = field(default_factory=list)
    #: The model's figures for families with and without delivered measures
    #: (`experiments.helped`); empty when no measures are known.
    by_help: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def leakage_reasons(self) -> list[str]:
        """Why a leakage bug is suspected, one sentence per alarm (empty: none)."""
        reasons = [c.describe() for c in self.ceiling_checks if c.alarm]
        if self.comparison.get("model_above_oracle"):
            reasons.insert(0, "the model beats the oracle: treat this as a leakage bug")
        return reasons

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dictionary (written by `patronage evaluate --json`)."""
        return {
            "as_of": self.as_of.isoformat(),
            "horizon_months": self.horizon_months,
            "n_families": self.n,
            "base_rate": self.base_rate,
            "model": self.model_info,
            "metrics": self.metrics,
            "comparison": self.comparison,
            "leakage_suspected": self.leakage_suspected,
            "leakage_reasons": self.leakage_reasons,
            "ceiling_checks": [c.to_dict() for c in self.ceiling_checks],
            "ablation": self.ablation,
            "by_help": self.by_help,
            "notes": [
                "label = a recorded serious incident in the horizon; recorded is not happened",
                "precision/recall@k are tie-aware: precision_at_* at the worst ordering of ties, "
                "*_expected under random tie-breaking (compared), *_best at the best ordering",
                "oracle = the simulator's hidden risk; ceiling = the best possible from the "
                "records known before the as-of date (simulated data only, never a gate); "
                "lift shares = (P@5% ranker - base rate) / (P@5% reference - base rate)",
                "'_district' figures flag the top k% of each district (the council capacity)",
                "ranking figures use the raw score; Brier and ECE the calibrated probability",
                "by_help: the model on families with a measure delivered from 6 months before "
                "the as-of date to the end of the label window, and on the others; help can "
                "prevent the incident the label counts (the label is censored by help)",
            ],
        }


def data_end(events: Events) -> dt.date:
    """The last knowledge date of any record (labels after it are unknown)."""
    ends = [
        getattr(events, t)["knowledge_date"].max()
        for t in ("school_surveys", "medical_screenings", "police_signals", "outcomes")
        if getattr(events, t).height
    ]
    if not ends:
        raise ValueError("events: expected at least one record, got none")
    return max(ends)  # type: ignore[no-any-return]


def fit_baselines(
    events: Events, model: RiskModel, *, grid: GridBuilder = build_grid
) -> dict[str, Any]:
    """Baselines refitted on the model's training rows (records known before its cut-off), as
    training fits them (`experiments.training.fit_baselines`, one float32 matrix).

    `grid`: the grid builder, `build_grid` or a Dask cluster's (`Cluster.grid`)."""
    dates = [dt.date.fromisoformat(d) for d in model.metadata_.get("train_as_of", [])]
    valid_dates = [dt.date.fromisoformat(d) for d in model.metadata_.get("valid_as_of", [])]
    if not dates or not valid_dates:
        raise ValueError(
            "model metadata: expected the training and held-out as-of dates, got none; "
            "retrain the model with `patronage train`"
        )
    rows = grid(
        known_before(events, model.trained_until_),
        as_of_dates=[*dates, *valid_dates],
        horizon_months=model.horizon_months_,
        known_before=model.trained_until_,
        float32=True,
    )
    return training_baselines(
        training_matrices(rows, valid_as_of=valid_dates),
        seed=int(model.metadata_.get("params", {}).get("seed", 0)),
    )


SHARE_KEYS = (
    "oracle_lift_share_at_5pct",
    "oracle_lift_share_at_5pct_district",
    "ceiling_lift_share_at_5pct",
    "ceiling_lift_share_at_5pct_district",
)


def compare(metrics: dict[str, dict[str, float]]) -> tuple[dict[str, Any], bool]:
    """Model against the best baseline, the oracle and the records ceiling (precision at its
    expected value under random tie-breaking); flags a model that beats the oracle.

    The lift shares of every ranker (`all_metrics`) are repeated under `lift_shares`, the
    model's also at the top level.
    """
    model = metrics["model"]
    present = [b for b in BASELINES if b in metrics]
    out: dict[str, Any] = {}
    if present:
        out = _against_baselines(model, metrics, present)
    out.update({k: model[k] for k in SHARE_KEYS if k in model})
    shares = {
        ranker: {k: values[k] for k in SHARE_KEYS if k in values}
        for ranker, values in metrics.items()
        if any(k in values for k in SHARE_KEYS)
    }
    if shares:
        out["lift_shares"] = shares
    leakage = False
    if "oracle" in metrics:
        oracle = metrics["oracle"]
        # The oracle knows the true current risk: a model above it has seen the future.
        leakage = model["auc"] > oracle["auc"] + 0.005 or (
            model["precision_at_5pct"] > oracle["precision_at_5pct_best"] + 0.01
        )
        out["model_above_oracle"] = leakage
        if leakage:
            log.error("the model beats the oracle: treat this as a leakage bug")
    return out, leakage


def _against_baselines(
    model: dict[str, float], metrics: dict[str, dict[str, float]], present: list[str]
) -> dict[str, Any]:
    p5 = "precision_at_5pct_expected"  # ties broken at random: fair to tied baselines
    best_auc = max(metrics[b]["auc"] for b in present)
    best_p5_name = max(present, key=lambda b: metrics[b][p5])
    best_p5 = metrics[best_p5_name][p5]
    return {
        "best_baseline_auc": best_auc,
        "auc_margin_over_best_baseline": model["auc"] - best_auc,
        "best_baseline_precision_at_5pct_expected": best_p5,
        "best_baseline_at_5pct": best_p5_name,
        "precision_at_5pct_expected_relative_gain": model[p5] / best_p5 - 1.0
        if best_p5 > 0
        else float("nan"),
        "targets": {
            "auc_margin_at_least_0.02": model["auc"] - best_auc >= 0.02,
            "precision_at_5pct_expected_gain_at_least_10pct": best_p5 > 0
            and model[p5] >= 1.1 * best_p5,
            "ece_at_most_0.02": model.get("ece", float("inf")) <= 0.02,
        },
    }


def evaluate(
    events: Events,
    *,
    model: RiskModel,
    as_of: dt.date,
    truth: pl.DataFrame | None = None,
    baselines: dict[str, Any] | None = None,
    model_info: dict[str, Any] | None = None,
    progress: Progress | None = None,
    simulation: SimulationConfig | None = None,
    measures: pl.DataFrame | None = None,
    grid: GridBuilder = build_grid,
) -> EvaluationResult:
    """Score the model and the baselines at `as_of`; label with every recorded outcome.

    With `simulation` (the configuration of the simulator that wrote `events`,
    `experiments.ceiling.simulation_config`) the records ceiling is scored too, and every
    ranker is checked against it for leakage. With non-empty `measures` (the council's measures:
    `family_id, decided_on, status, delivered_on`) the model is also judged separately on
    families with and without delivered measures (`experiments.helped`); the measures never
    reach the features. `grid`: how the grids are built (`build_grid`, or a Dask cluster's
    `Cluster.grid`); every other step runs here.
    """
    say = progress or (lambda _msg: None)
    horizon = model.horizon_months_
    end = data_end(events)
    if months_after(as_of, horizon) > end + dt.timedelta(days=1):
        raise ValueError(
            f"--as-of {as_of.isoformat()}: its {horizon}-month label window ends "
            f"{months_after(as_of, horizon).isoformat()}, after the data ends "
            f"({end.isoformat()}); choose an earlier date"
        )
    if as_of < model.trained_until_:
        log.warning(
            "as-of %s is before the model's training cut-off %s: the figures are in-sample",
            as_of,
            model.trained_until_,
        )
    if baselines is None:
        say("refitting the baselines on the model's training rows")
        baselines = fit_baselines(events, model, grid=grid)
    say(f"building features and labels at {as_of.isoformat()}")
    rows = grid(events, as_of_dates=[as_of], horizon_months=horizon, known_before=None)
    ceiling = None
    if simulation is not None:
        say("computing the records ceiling (simulated data only)")
        ceiling = ceiling_frame(events, simulation, as_of_dates=[as_of], horizon_months=horizon)
    say("scoring")
    scored = score_rankers(model, baselines, rows, events.families, truth=truth, ceiling=ceiling)
    metrics = all_metrics(scored)
    comparison, leakage = compare(metrics)
    checks = check_rankers(scored.rows["label"].to_numpy(), scored.ranking)
    leakage = leakage or any(c.alarm for c in checks)
    by_help = (
        metrics_by_help(scored, measures, as_of=as_of, horizon_months=horizon)
        if measures is not None and measures.height > 0
        else {}
    )
    return EvaluationResult(
        as_of=as_of,
        horizon_months=horizon,
        n=rows.height,
        base_rate=float(rows["label"].mean() or 0.0),  # type: ignore[arg-type]
        metrics=metrics,
        comparison=comparison,
        leakage_suspected=leakage,
        model_info=model_info or {},
        ceiling_checks=checks,
        by_help=by_help,
    )


def leave_one_source_out(
    events: Events,
    *,
    config: TrainingConfig,
    as_of: dt.date,
    truth: pl.DataFrame | None = None,
    agencies: Sequence[str] = AGENCIES,
    progress: Progress | None = None,
) -> dict[str, dict[str, float]]:
    """Retrain without each agency's records and evaluate at `as_of` without them too.

    Returns agency -> {auc, precision_at_5pct, precision_at_5pct_district}; the agency whose
    removal costs the most is the one whose data closes most of the gap to the oracle.
    """
    say = progress or (lambda _msg: None)
    out: dict[str, dict[str, float]] = {}
    for agency in ("none", *agencies):
        say(
            "ablation: training on all sources"
            if agency == "none"
            else f"ablation: training without {agency} records"
        )
        cfg = replace(
            config,
            fairness=False,
            baselines=False,
            drop_agency=None if agency == "none" else agency,
        )
        result = train(events, config=cfg)
        seen = events if agency == "none" else drop_agency(events, agency)
        evaluation = evaluate(seen, model=result.model, as_of=as_of, truth=truth, baselines={})
        m = evaluation.metrics["model"]
        out["all_sources" if agency == "none" else f"without_{agency}"] = {
            "auc": m["auc"],
            "precision_at_5pct": m["precision_at_5pct"],
            "precision_at_5pct_district": m["precision_at_5pct_district"],
            "oracle_lift_share_at_5pct": float(
                evaluation.comparison.get("oracle_lift_share_at_5pct", np.nan)
            ),
        }
    return out
