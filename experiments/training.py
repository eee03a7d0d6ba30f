"""Training pipeline: events -> as-of grid -> time split -> model + baselines -> calibration ->
metrics on the held-out period -> fairness audit -> gate, as one `TrainingResult`.

The time rules (which records and as-of months a run may use) are in `experiments.time_split`.
On simulated data (`simulation` given) the held-out figures include the oracle and the records
ceiling, each ranker's share of their lift, and the leakage check against the ceiling
(`experiments.ceiling`); none of them gates.
The fairness audit uses the last held-out as-of month only (one row per family, one list per
district, as a council sees it); the run's metrics use the whole held-out period.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from experiments.ceiling import CeilingCheck, ceiling_frame, check_rankers
from experiments.rankers import RankerScores, all_metrics, score_rankers
from experiments.time_split import TimeSplit, data_start, drop_agency, known_before, time_split
from features.contracts import PROTECTED_ATTRIBUTES, Events
from features.fingerprint import events_fingerprint
from features.pipeline.grid import build_grid
from features.registry import FEATURES
from features.simulator import SimulationConfig
from model.bands import DEFAULT_BAND_CUTS
from model.baselines import ChecklistBaseline, LogisticBaseline, PoliceHistoryBaseline
from model.calibration import Method, out_of_fold
from model.explain import source_contributions, source_totals
from model.gates import Finding, GateResult, evaluate_model_gate
from model.risk_model import Explanation, RiskModel
from model.training import BoosterParams

BASELINES = ("checklist", "police_12m", "logistic")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainingConfig:
    """Everything a training run depends on besides the data."""

    until: dt.date
    horizon_months: int = 6
    valid_months: int = 3
    history_months: int = 6
    max_train_months: int | None = 12
    params: BoosterParams = field(default_factory=BoosterParams)
    band_cuts: tuple[float, float, float, float] = DEFAULT_BAND_CUTS
    calibration: Method = "auto"
    fairness: bool = True
    fairness_boot: int = 200
    drop_agency: str | None = None  # leave-one-source-out ablation
    #: Also keep training label windows out of the held-out period (triage's buffer between
    #: train and validation). Off (default, as the issue specifies), training dates run up to
    #: the first held-out date; docs/model.md compares both on the default simulator.
    inner_buffer: bool = False
    baselines: bool = True  # off only for ablations, which compare the model with itself

    def as_params(self) -> dict[str, Any]:
        """Flat parameters for tracking."""
        out: dict[str, Any] = {
            "until": self.until.isoformat(),
            "horizon_months": self.horizon_months,
            "valid_months": self.valid_months,
            "history_months": self.history_months,
            "max_train_months": self.max_train_months,
            "band_cuts": list(self.band_cuts),
            "calibration": self.calibration,
            "drop_agency": self.drop_agency,
            "inner_buffer": self.inner_buffer,
        }
        out.update({f"lgb_{k}": v for k, v in self.params.as_dict().items()})
        return out


@dataclass(frozen=True)
class TrainingResult:
    """Everything a training run produced; I/O (tracking, plots, files) happens elsewhere."""

    model: RiskModel
    config: TrainingConfig
    split: TimeSplit
    data_fingerprint: str
    n_train: int
    n_valid: int
    metrics: dict[str, dict[str, float]]
    gate: GateResult
    scored: RankerScores
    explanation_sample: Explanation
    source_shares: dict[str, float]
    fairness_report: Any | None = None
    fairness_verdict: Any | None = None
    fairness_metrics: dict[str, float] = field(default_factory=dict)
    fairness_summary: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    ceiling_checks: list[CeilingCheck] = field(default_factory=list)

    @property
    def leakage_suspected(self) -> bool:
        """A ranker is above the records ceiling beyond sampling error."""
        return any(c.alarm for c in self.ceiling_checks)


def feature_sources() -> dict[str, str]:
    """Feature name -> data source, from the registry."""
    return {name: spec.source for name, spec in FEATURES.items()}


def train(
    events: Events,
    *,
    config: TrainingConfig,
    truth: pl.DataFrame | None = None,
    progress: Progress | None = None,
    simulation: SimulationConfig | None = None,
) -> TrainingResult:
    """Run the whole training pipeline on `events` (see the module docstring).

    `simulation`: the configuration of the simulator that wrote `events`
    (`experiments.ceiling.simulation_config`), for the records ceiling; None on real data.
    """
    say = progress or (lambda _msg: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    visible = known_before(events, config.until)
    if config.drop_agency:
        visible = drop_agency(visible, config.drop_agency)
    split = time_split(
        data_start(visible),
        until=config.until,
        horizon_months=config.horizon_months,
        valid_months=config.valid_months,
        history_months=config.history_months,
        max_train_months=config.max_train_months,
        inner_buffer=config.inner_buffer,
    )
    say(
        f"split: train {split.train_as_of[0]}..{split.train_as_of[-1]}, "
        f"held out {split.valid_as_of[0]}..{split.valid_as_of[-1]}"
    )
    grid = build_grid(
        visible,
        as_of_dates=[*split.train_as_of, *split.valid_as_of],
        horizon_months=config.horizon_months,
        known_before=config.until,
    )
    timings["grid_s"] = time.perf_counter() - t0
    valid_mask = grid["as_of"].is_in(split.valid_as_of)
    train_rows, valid_rows = grid.filter(~valid_mask), grid.filter(valid_mask)
    y_train = train_rows["label"].to_numpy()
    y_valid = valid_rows["label"].to_numpy()
    for name, y in (("training", y_train), ("held-out", y_valid)):
        if len(np.unique(y)) < 2:
            raise ValueError(f"label: the {name} period has only one class; more data is needed")
    say(f"training on {train_rows.height:,} family-months, holding out {valid_rows.height:,}")

    t1 = time.perf_counter()
    model = RiskModel(
        params=config.params, calibration=config.calibration, band_cuts=config.band_cuts
    ).fit(
        train_rows.drop("as_of"),
        y_train,
        valid_features=valid_rows.drop("as_of"),
        y_valid=y_valid,
        trained_until=config.until,
        horizon_months=config.horizon_months,
        metadata={
            "train_as_of": [d.isoformat() for d in split.train_as_of],
            "valid_as_of": [d.isoformat() for d in split.valid_as_of],
        },
    )
    timings["fit_s"] = time.perf_counter() - t1
    say(f"booster: {model.best_iteration_} trees, calibration {model.calibrator_.method_}")

    features_train = train_rows.drop("as_of", "label")
    baselines: dict[str, Any] = {}
    if config.baselines:
        baselines = {
            "checklist": ChecklistBaseline().fit(features_train),
            "police_12m": PoliceHistoryBaseline().fit(features_train),
            "logistic": LogisticBaseline().fit(
                features_train, y_train, valid=(valid_rows.drop("as_of", "label"), y_valid)
            ),
        }
    raw_valid = model.score(valid_rows.drop("as_of")).raw_score
    oof = out_of_fold(model.calibrator_, raw_valid, y_valid)
    ceiling = None
    if simulation is not None:
        say("computing the records ceiling on the held-out months (simulated data only)")
        t_c = time.perf_counter()
        ceiling = ceiling_frame(
            visible,
            simulation,
            as_of_dates=split.valid_as_of,
            horizon_months=config.horizon_months,
        )
        timings["ceiling_s"] = time.perf_counter() - t_c
    scored = score_rankers(
        model,
        baselines,
        valid_rows.drop("as_of").with_columns(valid_rows["as_of"]),
        visible.families,
        truth=truth,
        probability=oof,
        ceiling=ceiling,
    )
    metrics = all_metrics(scored)
    # one held-out family appears once per month: its redrawn labels are coupled
    checks = check_rankers(
        y_valid,
        scored.ranking,
        clusters=scored.rows["family_id"].to_numpy(),
        seed=config.params.seed,
    )
    for check in checks:
        metrics[check.ranker].update(
            above_ceiling_auc_z=check.auc_z,
            above_ceiling_precision_at_5pct_z=check.precision_z,
            above_ceiling_alarm=float(check.alarm),
        )
    sources = feature_sources()
    sample = valid_rows.sample(n=min(5000, valid_rows.height), seed=config.params.seed)
    explanation_sample = model.explain(sample.drop("as_of"))
    shares = source_totals(explanation_sample, sources)
    timings["baselines_metrics_s"] = time.perf_counter() - t1 - timings["fit_s"]

    fairness_report = verdict = None
    fairness_flat: dict[str, float] = {}
    summary: list[str] = []
    fairness_passed: bool | None = None
    fairness_failures: list[Finding] = []
    if config.fairness:
        say(
            "fairness audit at the council's capacity (top 5% per district list), "
            f"one row per family: the last held-out month {split.valid_as_of[-1]}"
        )
        t2 = time.perf_counter()
        fairness_report, verdict, fairness_flat = _fairness(model, valid_rows, scored, config)
        fairness_passed, fairness_failures = verdict.passed, list(verdict.failures)
        summary = [
            "gate " + ("passed" if verdict.passed else "failed"),
            *(f.describe() for f in verdict.failures),
            *(w.describe() for w in verdict.warnings[:10]),
        ]
        timings["fairness_s"] = time.perf_counter() - t2
    gate = evaluate_model_gate(
        metrics,
        baselines=list(BASELINES),
        fairness_passed=fairness_passed,
        fairness_failures=fairness_failures,
    )
    timings["total_s"] = time.perf_counter() - t0
    return TrainingResult(
        model=model,
        config=config,
        split=split,
        data_fingerprint=events_fingerprint(visible),
        n_train=train_rows.height,
        n_valid=valid_rows.height,
        metrics=metrics,
        gate=gate,
        scored=scored,
        explanation_sample=explanation_sample,
        source_shares=shares,
        fairness_report=fairness_report,
        fairness_verdict=verdict,
        fairness_metrics=fairness_flat,
        fairness_summary=summary,
        timings=timings,
        ceiling_checks=checks,
    )


def audit_rows(valid_rows: pl.DataFrame) -> pl.Series:
    """Mask of the rows the fairness audit uses: the last held-out as-of month only.

    The held-out period has one row per family and month; pooling its months would count each
    family several times, and the audit's bootstrap and tests, which treat rows as independent,
    would give intervals and p-values that are too narrow. One monthly list per district is
    also exactly what a council sees.
    """
    return valid_rows["as_of"] == valid_rows["as_of"].max()


def _fairness(
    model: RiskModel, valid_rows: pl.DataFrame, scored: RankerScores, config: TrainingConfig
) -> tuple[Any, Any, dict[str, float]]:
    import fairness

    # scored.rows is aligned with valid_rows (left joins that keep order)
    keep = audit_rows(valid_rows)
    frame = scored.rows.with_columns(probability=scored.probability["model"]).filter(keep)
    explained = model.explain(valid_rows.filter(keep).drop("as_of"))
    contributions = source_contributions(explained, feature_sources())
    report = fairness.audit(
        frame,
        score_col="probability",
        label_col="label",
        group_cols=list(PROTECTED_ATTRIBUTES),
        flag=fairness.TopPct(5.0),
        within="list_key",
        contributions=contributions,
        n_boot=config.fairness_boot,
        seed=config.params.seed,
    )
    verdict = fairness.evaluate_gate(report)
    return report, verdict, fairness.fairness_metrics(report)
