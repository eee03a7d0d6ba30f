"""Training pipeline: events -> as-of grid -> time split -> candidate model families +
baselines -> calibration -> metrics on the judged months -> fairness audit and gate of every
candidate -> the champion family chosen (`experiments.selection`) -> the champion refitted up to
the cut-off, as one `TrainingResult`.

The time rules (which records and as-of months a run may use) are in `experiments.time_split`.
The judged months are the split's held-out months: the last `valid_months` as-of dates whose
label windows end by the cut-off. Judged out of time (the default), the candidates are fitted
on the split the cut-off at the first judged month gives, so they never see the judged months
in any form; the champion is then refitted on the run's own split and the registered model is
that refit. The run's metrics, gate and fairness report are those of the judged candidates.
On simulated data (`simulation` given) the judged figures include the oracle and the records
ceiling, each ranker's share of their lift, and the leakage check against the ceiling
(`experiments.ceiling`); none of them gates.
The fairness audit uses the last judged as-of month only (one row per family, one list per
district, as a council sees it); the run's metrics use all the judged months.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from experiments.ceiling import CeilingCheck, ceiling_frame, check_rankers
from experiments.rankers import RankerScores, all_metrics, score_rankers
from experiments.selection import (
    CHOICE_METRIC,
    CandidateResult,
    Choice,
    Judging,
    Selection,
    Standing,
    choose,
    flagged_rows,
    pairwise_standard_errors,
    ranker_name,
)
from experiments.time_split import TimeSplit, data_start, drop_agency, known_before, time_split
from features.contracts import PROTECTED_ATTRIBUTES, Events
from features.fingerprint import events_fingerprint
from features.pipeline.grid import build_grid
from features.registry import FEATURES
from features.simulator import SimulationConfig
from model.bands import DEFAULT_BAND_CUTS, order_key
from model.baselines import (
    ChecklistBaseline,
    LogisticBaseline,
    PoliceHistoryBaseline,
    feature_matrix,
)
from model.calibration import Method, out_of_fold
from model.ebm import EbmLearner, EbmParams, fit_ebm
from model.explain import source_contributions, source_totals
from model.gates import Finding, GateResult, evaluate_model_gate
from model.learners import FAMILIES, Family, Learner, LinearLearner, check_family
from model.metrics import inclusion_weights
from model.monotone import constraint_vector
from model.recalibration import check_attribute, fit_group_recalibration, groups_of
from model.risk_model import Explanation, RiskModel, feature_columns
from model.training import BoosterParams

if TYPE_CHECKING:
    from experiments.distributed import Cluster

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
    #: train and validation). Judged out of time it is always on, for the candidates and the
    #: refit: early stopping on months whose labels the training rows share lets the booster
    #: learn families rather than risk (docs/model.md). Judged on the held-out months it is
    #: off unless asked for (training dates then run up to the first held-out date).
    inner_buffer: bool = False
    baselines: bool = True  # off only for ablations, which compare the model with itself
    #: Partitions of whole districts the grid is built on, one after the other
    #: (`features.pipeline.grid.build_grid`); 1 builds it in one pass.
    grid_parts: int = 1
    #: Model families the gate chooses the champion among (`experiments.selection`). The
    #: logistic candidate is the logistic baseline's fit, so it costs no training; an EBM
    #: costs minutes per 100,000 family-months and is left out unless asked for.
    candidates: tuple[Family, ...] = ("lightgbm", "logistic")
    #: Where the candidates are judged: ``out_of_time`` (fitted as if at the first judged
    #: month, then the winner refitted up to `until`; both with the inner buffer) or
    #: ``held_out`` (on the months they stopped early on; cheaper, optimistic for flexible
    #: models). Out of time needs about 2 label horizons + 2 held-out periods more history.
    judging: Judging = "out_of_time"
    ebm: EbmParams = field(default_factory=EbmParams)
    #: A protected attribute to recalibrate every candidate's probabilities within
    #: (`model.recalibration`: a log-odds shift per group, fitted on the candidate's
    #: calibration months). It uses the attribute at scoring time, a legal and policy choice
    #: a deployment makes explicitly: None (the default) scores every group alike.
    recalibrate_within: str | None = None

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
            "candidates": ",".join(self.candidates),
            "judging": self.judging,
            "recalibrate_within": self.recalibrate_within,
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
    selection: Selection | None = None

    @property
    def leakage_suspected(self) -> bool:
        """A ranker is above the records ceiling beyond sampling error."""
        return any(c.alarm for c in self.ceiling_checks)


@dataclass(frozen=True)
class TrainingMatrices:
    """The float32 feature matrix of a training grid, built once and shared by the booster,
    the baselines and the metrics: training rows first, then the held-out rows."""

    x: np.ndarray  # (rows, features) float32, C order; empty rows once training is done
    n_train: int
    feature_names: list[str]
    y_train: np.ndarray
    y_valid: np.ndarray
    valid_rows: pl.DataFrame  # as_of, family_id, the features, label: the held-out rows

    @property
    def x_train(self) -> np.ndarray:
        return self.x[: self.n_train]

    @property
    def x_valid(self) -> np.ndarray:
        return self.x[self.n_train :]

    def without_training_rows(self) -> TrainingMatrices:
        """The same held-out data with the training rows released (a copy of x_valid)."""
        return replace(self, x=self.x_valid.copy(), n_train=0)


#: How the as-of grid is built: `build_grid` on one machine, or a Dask cluster's `Cluster.grid`
#: (same keyword arguments, same rows).
GridBuilder = Callable[..., pl.DataFrame]


def training_matrices(grid: pl.DataFrame, *, valid_as_of: list[dt.date]) -> TrainingMatrices:
    """Split `grid` into training and held-out rows and build their feature matrix once.

    The grid's rows are put in the order training rows, held-out rows (they already are when
    the held-out dates are the last ones, as `build_grid` orders them: no copy then).
    """
    valid = grid["as_of"].is_in(valid_as_of).to_numpy()
    n_train = int((~valid).sum())
    if valid[:n_train].any():
        grid = grid.sort(pl.Series(valid), maintain_order=True)
    names = feature_columns(grid)
    labels = grid["label"].to_numpy()
    return TrainingMatrices(
        x=feature_matrix(grid, names),
        n_train=n_train,
        feature_names=names,
        y_train=labels[:n_train],
        y_valid=labels[n_train:],
        valid_rows=grid.slice(n_train),
    )


def fit_baselines(data: TrainingMatrices, *, seed: int) -> dict[str, Any]:
    """The baselines on the training rows: the checklist and the police history are not
    learned (they only check their features exist); the logistic baseline chooses C on the
    held-out rows (see `model.baselines.LogisticBaseline`)."""
    columns = data.valid_rows.drop("as_of", "label").head(0)
    return {
        "checklist": ChecklistBaseline().fit(columns),
        "police_12m": PoliceHistoryBaseline().fit(columns),
        "logistic": LogisticBaseline(seed=seed).fit_matrix(
            data.x_train,
            data.y_train,
            feature_names=data.feature_names,
            valid=(data.x_valid, data.y_valid),
        ),
    }


def feature_sources() -> dict[str, str]:
    """Feature name -> data source, from the registry."""
    return {name: spec.source for name, spec in FEATURES.items()}


@dataclass
class _Fitted:
    """The candidates of one split, fitted, with what judging them needs."""

    models: dict[Family, RiskModel]
    baselines: dict[str, Any]
    data: TrainingMatrices  # training rows released
    n_train: int


def _fit(
    visible: Events,
    *,
    split: TimeSplit,
    families: Sequence[Family],
    config: TrainingConfig,
    build: GridBuilder,
    cluster: Cluster | None,
    say: Progress,
    timings: dict[str, float],
) -> _Fitted:
    """Fit every family in `families` (and, with `config.baselines`, the baselines) on the
    training months of `split`; each stops early or chooses its regularisation, and is
    calibrated, on the split's held-out months."""
    t0 = time.perf_counter()
    grid = build(
        visible,
        as_of_dates=[*split.train_as_of, *split.valid_as_of],
        horizon_months=config.horizon_months,
        known_before=split.until,
        float32=True,
    )
    data = training_matrices(grid, valid_as_of=split.valid_as_of)
    del grid  # the training rows live on in data.x only (float32)
    timings["grid_s"] = timings.get("grid_s", 0.0) + time.perf_counter() - t0
    for name, y in (("training", data.y_train), ("held-out", data.y_valid)):
        if len(np.unique(y)) < 2:
            raise ValueError(f"label: the {name} period has only one class; more data is needed")
    say(f"training on {data.n_train:,} family-months, holding out {len(data.y_valid):,}")
    t1 = time.perf_counter()
    metadata = {
        "train_as_of": [d.isoformat() for d in split.train_as_of],
        "valid_as_of": [d.isoformat() for d in split.valid_as_of],
    }
    fit = partial(_adopt, data=data, config=config, metadata=metadata, until=split.until)
    models: dict[Family, RiskModel] = {}
    if "lightgbm" in families:
        models["lightgbm"] = _fit_booster(data, config, cluster, metadata, split)
    baselines = fit_baselines(data, seed=config.params.seed) if config.baselines else {}
    if "logistic" in families:
        logistic = baselines.get("logistic")
        if logistic is None:
            logistic = LogisticBaseline(seed=config.params.seed).fit_matrix(
                data.x_train, data.y_train, feature_names=data.feature_names,
                valid=(data.x_valid, data.y_valid),
            )  # fmt: skip
        models["logistic"] = fit(LinearLearner.from_baseline(logistic))
    if "ebm" in families:
        ebm = fit_ebm(
            data.x_train, data.y_train, feature_names=data.feature_names, params=config.ebm,
            monotone=constraint_vector(data.feature_names), valid=(data.x_valid, data.y_valid),
        )  # fmt: skip
        models["ebm"] = fit(EbmLearner.from_interpret(ebm))
    timings["fit_s"] = timings.get("fit_s", 0.0) + time.perf_counter() - t1
    models = {f: models[f] for f in families}  # simplest first, as the choice reads them
    for family, model in models.items():
        say(f"{family}: {model.learner_.summary()}, calibration {model.calibrator_.method_}")
        if config.recalibrate_within is not None:
            _recalibrate(model, data, visible.families, attribute=config.recalibrate_within)
            say(f"{family}: {_describe_shifts(model)}")
    return _Fitted(models, baselines, data.without_training_rows(), data.n_train)


def _adopt(
    learner: Learner,
    *,
    data: TrainingMatrices,
    config: TrainingConfig,
    metadata: dict[str, Any],
    until: dt.date,
) -> RiskModel:
    model = RiskModel(calibration=config.calibration, band_cuts=config.band_cuts)
    return model.adopt(
        learner,
        x_valid=data.x_valid,
        y_valid=data.y_valid,
        feature_names=data.feature_names,
        trained_until=until,
        horizon_months=config.horizon_months,
        metadata=metadata,
    )


def _recalibrate(
    model: RiskModel, data: TrainingMatrices, families: pl.DataFrame, *, attribute: str
) -> None:
    """Fit `model`'s recalibration within the groups of `attribute` on its calibration
    months (the held-out rows it was calibrated on)."""
    ids = data.valid_rows["family_id"].cast(pl.String).to_list()
    model.recalibration_ = fit_group_recalibration(
        model.calibrator_.predict(model.raw_matrix(data.x_valid)),
        data.y_valid,
        groups_of(ids, families, attribute=attribute),
        attribute=attribute,
    )


def _describe_shifts(model: RiskModel) -> str:
    assert model.recalibration_ is not None
    shifts = ", ".join(
        f"{g} {fit.shift:+.3f}" if fit.fitted else f"{g} not shifted ({fit.positives} outcomes)"
        for g, fit in model.recalibration_.groups.items()
    )
    return f"recalibrated within {model.recalibration_.attribute} (log-odds): {shifts}"


def _fit_booster(
    data: TrainingMatrices,
    config: TrainingConfig,
    cluster: Cluster | None,
    metadata: dict[str, Any],
    split: TimeSplit,
) -> RiskModel:
    model = RiskModel(
        params=config.params, calibration=config.calibration, band_cuts=config.band_cuts
    )
    if cluster is None:
        return model.fit_matrix(
            data.x_train,
            data.y_train,
            x_valid=data.x_valid,
            y_valid=data.y_valid,
            feature_names=data.feature_names,
            trained_until=split.until,
            horizon_months=config.horizon_months,
            metadata=metadata,
        )
    return cluster.fit_matrix(
        model,
        data.x_train,
        data.y_train,
        x_valid=data.x_valid,
        y_valid=data.y_valid,
        feature_names=data.feature_names,
        trained_until=split.until,
        horizon_months=config.horizon_months,
        metadata=metadata,
    )


def train(
    events: Events,
    *,
    config: TrainingConfig,
    truth: pl.DataFrame | None = None,
    progress: Progress | None = None,
    simulation: SimulationConfig | None = None,
    cluster: Cluster | None = None,
) -> TrainingResult:
    """Run the whole training pipeline on `events` (see the module docstring).

    `cluster`: a Dask cluster (`experiments.distributed.connect`) that builds the grids per
    partition of districts and trains the booster; every other step is this function's.

    `simulation`: the configuration of the simulator that wrote `events`
    (`experiments.ceiling.simulation_config`), for the records ceiling; None on real data.
    """
    say = progress or (lambda _msg: None)
    families = check_candidates(config.candidates)
    if config.recalibrate_within is not None:
        check_attribute(config.recalibrate_within)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    visible = known_before(events, config.until)
    if config.drop_agency:
        visible = drop_agency(visible, config.drop_agency)
    out_of_time = config.judging == "out_of_time"
    if out_of_time:  # the procedure judged is the one registered: both with the buffer
        config = replace(config, inner_buffer=True)
    split = _split(visible, config, until=config.until)
    fit_split = split
    if out_of_time:
        try:
            fit_split = _split(visible, config, until=split.valid_as_of[0])
        except ValueError:
            raise ValueError(
                f"--until {config.until.isoformat()}: judged out of time, the candidates are "
                f"fitted as if at {split.valid_as_of[0].isoformat()}, the first judged month, "
                f"and the data (from {data_start(visible).isoformat()}) has too little history "
                f"before it; use a later --until or --judging held-out"
            ) from None
    say(
        f"candidates {', '.join(families)}: fitted on {fit_split.train_as_of[0]}.."
        f"{fit_split.train_as_of[-1]}, stopped and calibrated on {fit_split.valid_as_of[0]}.."
        f"{fit_split.valid_as_of[-1]}, judged on {split.valid_as_of[0]}..{split.valid_as_of[-1]}"
        + (" (out of time)" if out_of_time else " (the same held-out months)")
    )
    build = partial(build_grid, parts=config.grid_parts) if cluster is None else cluster.grid
    stage = partial(_fit, config=config, build=build, cluster=cluster, say=say, timings=timings)
    fitted = stage(known_before(visible, fit_split.until), split=fit_split, families=families)
    if out_of_time:
        t_j = time.perf_counter()
        judged_rows = build(
            visible, as_of_dates=split.valid_as_of, horizon_months=config.horizon_months,
            known_before=config.until, float32=True,
        )  # fmt: skip
        rows = judged_rows.select("as_of", "family_id", *fitted.data.feature_names, "label")
        del judged_rows
        matrix = feature_matrix(rows, fitted.data.feature_names)
        timings["grid_s"] += time.perf_counter() - t_j
    else:
        rows, matrix = fitted.data.valid_rows, fitted.data.x_valid
    t_m = time.perf_counter()
    judged = _judge(
        fitted,
        rows=rows,
        matrix=matrix,
        cross_fit=not out_of_time,
        visible=visible,
        config=config,
        truth=truth,
        simulation=simulation,
        say=say,
        timings=timings,
    )
    timings["judge_s"] = time.perf_counter() - t_m - timings.get("fairness_s", 0.0)
    champion = judged.choice.champion
    say(f"champion family: {judged.choice.describe()} (judged {config.judging.replace('_', ' ')})")
    model, valid_rows, n_train = fitted.models[champion], rows, fitted.n_train
    if out_of_time:
        say(f"refitting {champion} on everything up to {config.until}")
        del fitted, matrix
        refit = stage(
            visible,
            split=split,
            families=[champion],
            config=replace(config, baselines=False),
        )
        model, valid_rows, n_train = refit.models[champion], refit.data.valid_rows, refit.n_train
    sample = valid_rows.sample(n=min(5000, valid_rows.height), seed=config.params.seed)
    explanation_sample = model.explain(sample.drop("as_of", "label"))
    timings["total_s"] = time.perf_counter() - t0
    selection = Selection(
        judging=config.judging,
        judged_as_of=split.valid_as_of,
        fitted_as_of=[*fit_split.train_as_of, *fit_split.valid_as_of],
        candidates=judged.candidates,
        choice=judged.choice,
        refit=out_of_time,
    )
    return TrainingResult(
        model=model,
        config=config,
        split=split,
        data_fingerprint=events_fingerprint(visible),
        n_train=n_train,
        n_valid=rows.height,
        metrics=judged.metrics,
        gate=judged.gate,
        scored=judged.scored,
        explanation_sample=explanation_sample,
        source_shares=source_totals(explanation_sample, feature_sources()),
        fairness_report=judged.fairness_report,
        fairness_verdict=judged.fairness_verdict,
        fairness_metrics=judged.fairness_metrics,
        fairness_summary=judged.fairness_summary,
        timings=timings,
        ceiling_checks=judged.checks,
        selection=selection,
    )


def _split(visible: Events, config: TrainingConfig, *, until: dt.date) -> TimeSplit:
    return time_split(
        data_start(visible),
        until=until,
        horizon_months=config.horizon_months,
        valid_months=config.valid_months,
        history_months=config.history_months,
        max_train_months=config.max_train_months,
        inner_buffer=config.inner_buffer,
    )


def check_candidates(candidates: Sequence[str]) -> list[Family]:
    """The candidate families, each known and named once, in the order `FAMILIES` gives."""
    families = [check_family(c) for c in candidates]
    if not families or len(set(families)) != len(families):
        raise ValueError(
            f"candidates: expected one or more distinct families of {', '.join(FAMILIES)}, "
            f"got {', '.join(candidates) or 'none'}"
        )
    return [f for f in FAMILIES if f in families]


@dataclass
class _Judged:
    metrics: dict[str, dict[str, float]]
    scored: RankerScores
    checks: list[CeilingCheck]
    candidates: list[CandidateResult]
    choice: Choice
    gate: GateResult
    fairness_report: Any | None = None
    fairness_verdict: Any | None = None
    fairness_metrics: dict[str, float] = field(default_factory=dict)
    fairness_summary: list[str] = field(default_factory=list)


def _judge(
    fitted: _Fitted,
    *,
    rows: pl.DataFrame,
    matrix: np.ndarray,
    cross_fit: bool,
    visible: Events,
    config: TrainingConfig,
    truth: pl.DataFrame | None,
    simulation: SimulationConfig | None,
    say: Progress,
    timings: dict[str, float],
) -> _Judged:
    """Every candidate and baseline on the judging rows, each candidate through the gate, and
    the champion chosen (`experiments.selection`). `cross_fit`: the candidates were calibrated
    on these rows, so their probabilities are cross-fitted (`model.calibration.out_of_fold`)."""
    y = rows["label"].to_numpy()
    ids = rows["family_id"].cast(pl.String).to_list()
    raw = {f: m.raw_matrix(matrix) for f, m in fitted.models.items()}
    probability = {
        f: out_of_fold(m.calibrator_, raw[f], y) if cross_fit else m.calibrator_.predict(raw[f])
        for f, m in fitted.models.items()
    }
    for f, m in fitted.models.items():  # judged as the lists would rank them
        if m.recalibration_ is not None:
            groups = m.groups_of(ids, visible.families)
            probability[f] = m.recalibration_.apply(probability[f], groups)
            raw[f] = order_key(probability[f], raw[f])
    ceiling = None
    if simulation is not None:
        say("computing the records ceiling on the judged months (simulated data only)")
        t_c = time.perf_counter()
        ceiling = ceiling_frame(
            visible,
            simulation,
            as_of_dates=sorted(set(rows["as_of"].to_list())),
            horizon_months=config.horizon_months,
        )
        timings["ceiling_s"] = time.perf_counter() - t_c
    first = next(iter(fitted.models))
    scored = score_rankers(
        fitted.models[first],
        fitted.baselines,
        rows.drop("as_of").with_columns(rows["as_of"]),
        visible.families,
        truth=truth,
        probability=probability[first],
        ceiling=ceiling,
        matrix=matrix,
        name=ranker_name(first),
    )
    for f in fitted.models:  # the other candidates beside the first
        scored.ranking[ranker_name(f)] = raw[f]
        scored.probability[ranker_name(f)] = probability[f]
    metrics = all_metrics(scored)
    # one judged family appears once per month: its redrawn labels are coupled
    checks = check_rankers(
        y, scored.ranking, clusters=scored.rows["family_id"].to_numpy(), seed=config.params.seed
    )
    for check in checks:
        metrics[check.ranker].update(
            above_ceiling_auc_z=check.auc_z,
            above_ceiling_precision_at_5pct_z=check.precision_z,
            above_ceiling_alarm=float(check.alarm),
        )
    audits: dict[Family, tuple[Any, Any, dict[str, float], list[str]]] = {}
    candidates: list[CandidateResult] = []
    gates: dict[Family, GateResult] = {}
    for f, model in fitted.models.items():
        passed: bool | None = None
        failures: list[Finding] = []
        if config.fairness:
            say(
                f"fairness audit of {f} at the council's capacity (top 5% per district list), "
                f"one row per family: the last judged month {max(rows['as_of'].to_list())}"
            )
            t2 = time.perf_counter()
            report, verdict, flat = _fairness(model, rows, scored, probability[f], config)
            summary = [
                "gate " + ("passed" if verdict.passed else "failed"),
                *(x.describe() for x in verdict.failures),
                *(w.describe() for w in verdict.warnings[:10]),
            ]
            audits[f] = (report, verdict, flat, summary)
            passed, failures = verdict.passed, list(verdict.failures)
            timings["fairness_s"] = timings.get("fairness_s", 0.0) + time.perf_counter() - t2
        own = [b for b in BASELINES if not (f == "logistic" and b == "logistic")]
        gates[f] = evaluate_model_gate(
            metrics,
            model=ranker_name(f),
            baselines=own,
            fairness_passed=passed,
            fairness_failures=failures,
        )
        candidates.append(
            CandidateResult(
                family=f,
                summary=model.learner_.summary(),
                metrics=metrics[ranker_name(f)],
                gate=gates[f],
                fairness_summary=audits[f][3] if f in audits else [],
            )
        )
    lists = scored.rows["list_key"].to_numpy()
    weights = {
        f: inclusion_weights(scored.ranking[ranker_name(f)], pct=5.0, groups=lists)
        for f in fitted.models
    }
    choice = choose(
        [
            Standing(
                family=c.family,
                precision=c.metrics[CHOICE_METRIC],
                flagged=flagged_rows(c.metrics),
                passed=c.gate.passed,
            )
            for c in candidates
        ],
        difference_se=pairwise_standard_errors(
            y, weights, clusters=scored.rows["family_id"].to_numpy(), seed=config.params.seed
        ),
    )
    champion = ranker_name(choice.champion)
    metrics = {("model" if k == champion else k): v for k, v in metrics.items()}
    for table in (scored.ranking, scored.probability):
        table["model"] = table.pop(champion)
    report, verdict, flat, summary = audits.get(choice.champion, (None, None, {}, []))
    return _Judged(
        metrics=metrics,
        scored=scored,
        checks=[replace(c, ranker="model") if c.ranker == champion else c for c in checks],
        candidates=candidates,
        choice=choice,
        gate=gates[choice.champion],
        fairness_report=report,
        fairness_verdict=verdict,
        fairness_metrics=flat,
        fairness_summary=summary,
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
    model: RiskModel,
    rows: pl.DataFrame,
    scored: RankerScores,
    probability: np.ndarray,
    config: TrainingConfig,
) -> tuple[Any, Any, dict[str, float]]:
    import fairness

    # scored.rows is aligned with rows (left joins that keep order)
    keep = audit_rows(rows)
    frame = scored.rows.with_columns(probability=probability).filter(keep)
    explained = model.explain(rows.filter(keep).drop("as_of", "label"))
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
