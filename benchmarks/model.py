"""Benchmark of the risk model on the default simulator (100,000 families, 36 months).

Prints, median of several runs (machine shared with other work: figures are indicative):
- training time of the whole pipeline (`experiments.training.train`, target <= 5 min), with
  the grid, booster, baselines and fairness audit broken down;
- scoring 100,000 families at one date (`RiskModel.score`, target <= 5 s), next to building
  their features;
- explanation throughput (families/s) of `RiskModel.explain` side by side with LightGBM's own
  `Booster.predict(pred_contrib=True)` on the same model and matrix (the baseline);
- the accuracy and explanation-speed cost of shallow trees: depth 6 against unlimited depth
  with 4x the leaves, trained on the same rows.
Peak memory is the process's peak RSS after each stage.

Usage: `python -m benchmarks.model [--data DIR] [--until 2025-01-01] [--runs 5] [--train-runs 2]`
(without --data the default simulator population is generated into a temporary directory).
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from benchmarks.common import timed

T = TypeVar("T")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--until", default="2025-01-01")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--train-runs", type=int, default=2)
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument(
        "--model", type=Path, default=None, help="A saved RiskModel: skip training and depth cost."
    )
    args = parser.parse_args()

    from experiments.training import TrainingConfig, train
    from features.loaders import load_events, load_truth
    from model.metrics import list_metrics

    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if data is None:
            from features.simulator import SimulationConfig, simulate, write_population

            data = Path(tmp) / "sim"
            write_population(
                simulate(
                    SimulationConfig(
                        families=args.families, months=36, start=dt.date(2023, 1, 1), seed=1
                    )
                ),
                data,
            )
        events, truth = load_events(data), load_truth(data)
    until = dt.date.fromisoformat(args.until)
    n_fam = events.families.height
    print(f"data: {n_fam:,} families, until {until}; peak RSS {_peak_mb():,.0f} MB")

    if args.model is not None:
        from model.risk_model import RiskModel

        _speed(RiskModel.load(args.model), events, until, args.runs)
        return

    # ---- training ----------------------------------------------------------------------------
    # the booster's figures: the booster alone, judged on its held-out months (the champion
    # among families and the out-of-time judging are docs/model.md, "Model families")
    config = TrainingConfig(until=until, candidates=("lightgbm",), judging="held_out")
    med, times, result = timed(lambda: train(events, config=config, truth=truth), args.train_runs)
    print(
        f"\ntraining (whole pipeline, {args.train_runs} runs): median {med:.1f} s "
        f"(runs {', '.join(f'{t:.1f}' for t in times)}; target <= 300 s)"
    )
    print(
        "  breakdown of the last run: "
        + ", ".join(f"{k} {v:.1f}" for k, v in result.timings.items())
    )
    print(
        f"  {result.n_train:,} training rows, {result.model.best_iteration_} trees, depth <= "
        f"{config.params.max_depth}; peak RSS {_peak_mb():,.0f} MB"
    )
    model = result.model

    sub, ours = _speed(model, events, until, args.runs)
    n_exp = sub.height

    # ---- depth cost --------------------------------------------------------------------------
    deep_params = replace(config.params, max_depth=-1, num_leaves=4 * config.params.num_leaves)
    deep = train(events, config=replace(config, params=deep_params, fairness=False), truth=truth)
    y = deep.scored.rows["label"].to_numpy()
    groups = deep.scored.rows["list_key"].to_numpy()
    shallow_m = list_metrics(y, result.scored.ranking["model"], groups=groups).as_dict()
    deep_m = list_metrics(y, deep.scored.ranking["model"], groups=groups).as_dict()
    deep_exp, _, _ = timed(lambda: deep.model.explain(sub), max(1, args.runs // 2))
    print(
        f"\ndepth cost on the held-out period: depth<=6/{config.params.num_leaves} leaves AUC "
        f"{shallow_m['auc']:.4f}, P@5% {shallow_m['precision_at_5pct']:.4f}, "
        f"{result.model.best_iteration_} trees; unlimited depth/{deep_params.num_leaves} leaves "
        f"AUC {deep_m['auc']:.4f}, P@5% {deep_m['precision_at_5pct']:.4f}, "
        f"{deep.model.best_iteration_} trees; explanations {n_exp / deep_exp:,.0f} families/s "
        f"(shallow is {deep_exp / ours:.2f}x faster)"
    )


def _speed(model: Any, events: Any, until: dt.date, runs: int) -> tuple[Any, float]:
    """Scoring and explanation figures; returns the frame explained and its median seconds."""
    from features.pipeline import build_features

    # ---- scoring -----------------------------------------------------------------------------
    feat_med, _, features = timed(lambda: build_features(events, as_of=until), max(1, runs // 2))
    score_med, _, _ = timed(lambda: model.score(features), runs)
    print(
        f"\nscoring {features.height:,} families: median {score_med:.2f} s "
        f"(target <= 5 s); building their features {feat_med:.2f} s; "
        f"ratio score/features {score_med / feat_med:.2f}; peak RSS {_peak_mb():,.0f} MB"
    )

    # ---- explanations ------------------------------------------------------------------------
    matrix = (
        features.select(model.feature_names_)
        .cast({c: float for c in model.feature_names_})
        .to_numpy()
    )
    n_exp = min(features.height, 20_000)
    sub, sub_matrix = features.head(n_exp), matrix[:n_exp]
    # Interleaved runs, so that load from other processes hits both sides alike.
    ours_t, native_t = [], []
    for _ in range(runs):
        t = time.perf_counter()
        explanation = model.explain(sub)
        ours_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        model.booster_.predict(sub_matrix, pred_contrib=True, num_threads=2)
        native_t.append(time.perf_counter() - t)
    ours, native = statistics.median(ours_t), statistics.median(native_t)
    err = float(
        np.max(
            np.abs(
                explanation.base_value + explanation.contributions.sum(1) - explanation.raw_score
            )
        )
    )
    print(
        f"\nexplanations of {n_exp:,} families (all {len(model.feature_names_)} contributions): "
        f"RiskModel.explain {n_exp / ours:,.0f} families/s, LightGBM pred_contrib "
        f"{n_exp / native:,.0f} families/s (ratio {native / ours:.2f}); max additivity error "
        f"{err:.1e}; peak RSS {_peak_mb():,.0f} MB"
    )
    return sub, ours


if __name__ == "__main__":
    main()
