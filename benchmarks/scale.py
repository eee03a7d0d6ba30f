"""Benchmark of lean training and of the monthly run at national scale (issue 17).

`--data DIR` (a `patronage simulate` population; 100,000 families for the training target):
each run starts two fresh processes, one after the other, so each one's peak RSS is its own:
- the booster alone: the float32 grid and matrix, then `RiskModel.fit_matrix` (booster, early
  stopping, calibration) on it, the floor any pipeline around it can reach;
- the whole pipeline, `experiments.training.train` (grid, booster, baselines, metrics,
  fairness audit), with the model's and the logistic baseline's held-out AUC and P@5%.
Prints the medians and the ratio pipeline / booster alone (time and peak RSS); targets at
100,000 families: <= 120 s and <= 3 GB (<= 8 GB at 300,000). `--default-runs K` also
measures K runs of the default `patronage train` configuration (both candidates judged out
of time, then the winner refitted) at `--default-until` (out-of-time judging needs a year more
history), which costs more than the pipeline the targets name.

`--monthly DIR --model MODEL_DIR`: the monthly run on DIR's families at `--as-of`: features as
of the month, scores, the lists (top 5% per district), explanations of the listed families and
the district lists stored (Parquet, one row per listed family with its top reasons' features
and contributions); simulation excluded. Target at 1,000,000 families: <= 5 minutes.

Usage: `python -m benchmarks.scale --data /tmp/sim100k --runs 2`,
`python -m benchmarks.scale --monthly /tmp/sim1m --model /tmp/model --as-of 2025-01-01
[--dask local:2]` (with `--dask` the features are built on the cluster's workers, as
`patronage lists --dask` does, and the peak RSS of the whole process tree is printed too).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CAPACITY = 0.05


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _config(until: dt.date, *, default: bool = False) -> Any:
    """The pipeline of issue 17 as measured: one booster judged on its held-out months; with
    `default`, `patronage train`'s own configuration (it also fits the logistic candidate,
    judges out of time and refits; see docs/model.md, "Model families and the champion")."""
    from experiments.training import TrainingConfig

    if default:
        return TrainingConfig(until=until)
    return TrainingConfig(until=until, candidates=("lightgbm",), judging="held_out")


def _booster_alone(data: Path, until: dt.date) -> dict[str, Any]:
    from experiments.time_split import data_start, known_before, time_split
    from experiments.training import training_matrices
    from features.loaders import load_events
    from features.pipeline.grid import build_grid
    from model.risk_model import RiskModel

    config = _config(until)
    visible = known_before(load_events(data), until)
    split = time_split(
        data_start(visible),
        until=until,
        horizon_months=config.horizon_months,
        valid_months=config.valid_months,
        history_months=config.history_months,
        max_train_months=config.max_train_months,
    )
    t0 = time.perf_counter()
    grid = build_grid(
        visible,
        as_of_dates=[*split.train_as_of, *split.valid_as_of],
        horizon_months=config.horizon_months,
        known_before=until,
        float32=True,
    )
    matrices = training_matrices(grid, valid_as_of=split.valid_as_of)
    del grid
    t1 = time.perf_counter()
    RiskModel(params=config.params).fit_matrix(
        matrices.x_train,
        matrices.y_train,
        x_valid=matrices.x_valid,
        y_valid=matrices.y_valid,
        feature_names=matrices.feature_names,
        trained_until=until,
    )
    return {
        "grid_s": t1 - t0,
        "fit_s": time.perf_counter() - t1,
        "peak_mb": _peak_mb(),
        "rows": matrices.x.shape[0],
        "features": matrices.x.shape[1],
    }


def _pipeline(
    data: Path, until: dt.date, save: Path | None = None, *, default: bool = False
) -> dict[str, Any]:
    from experiments.training import train
    from features.loaders import load_events, load_truth

    events, truth = load_events(data), load_truth(data)
    t0 = time.perf_counter()
    result = train(events, config=_config(until, default=default), truth=truth)
    total = time.perf_counter() - t0
    if save is not None:
        result.model.save(save)
    quality = {
        name: {k: result.metrics[name][k] for k in ("auc", "precision_at_5pct")}
        for name in ("model", "logistic")
    }
    return {
        "total_s": total,
        "timings": result.timings,
        "peak_mb": _peak_mb(),
        "n_train": result.n_train,
        "trees": result.model.best_iteration_,
        "family": result.model.family,
        "quality": quality,
    }


class _TreePeak:
    """Peak RSS of this process and its children (a local Dask cluster's scheduler and
    workers), sampled every 0.2 s in a thread."""

    def __init__(self) -> None:
        import importlib
        import threading

        self._psutil: Any = importlib.import_module("psutil")  # untyped (comes with distributed)
        self._me = self._psutil.Process()
        self.peak = self._rss()
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _rss(self) -> int:
        total = 0
        for p in [self._me, *self._me.children(recursive=True)]:
            with contextlib.suppress(self._psutil.Error):
                total += p.memory_info().rss
        return total

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, self._rss())

    def stop_mb(self) -> float:
        self._stop.set()
        return max(self.peak, self._rss()) / 2**20


def _monthly(
    data: Path, model_dir: Path, as_of: dt.date, out: Path, *, dask: str | None = None
) -> dict[str, Any]:
    """The monthly run; with `dask`, the features are built on that cluster's workers
    (`Cluster.features`, as `patronage lists --dask` does) and the peak memory is the whole
    process tree's."""
    from contextlib import ExitStack

    import numpy as np
    import polars as pl

    from features.loaders import load_events
    from features.pipeline import build_features
    from model.risk_model import RiskModel

    tree = _TreePeak()
    model = RiskModel.load(model_dir)
    t0 = time.perf_counter()
    events = load_events(data)
    t_load = time.perf_counter() - t0
    with ExitStack() as stack:
        build, t_connect = build_features, 0.0
        if dask is not None:
            from experiments.distributed import connect

            tc = time.perf_counter()
            build = stack.enter_context(connect(dask)).features
            t_connect = time.perf_counter() - tc
        t1 = time.perf_counter()
        features = build(events, as_of=as_of)
        t_features = time.perf_counter() - t1
    t2 = time.perf_counter()
    scores = model.score(features)
    t_score = time.perf_counter() - t2
    t3 = time.perf_counter()
    ranked = (
        features.select("family_id")
        .with_columns(probability=scores.probability, band=pl.Series(scores.band))
        .join(events.families.select("family_id", "district"), on="family_id", how="left")
        .with_columns(
            rank=pl.col("probability").rank("ordinal", descending=True).over("district"),
            size=pl.len().over("district"),
        )
    )
    listed = ranked.filter(pl.col("rank") <= (pl.col("size") * CAPACITY).ceil())
    rows = features.join(listed.select("family_id"), on="family_id", how="semi")
    explanation = model.explain(rows)
    top = np.argsort(-np.abs(explanation.contributions), axis=1)[:, :5]
    names = np.asarray(explanation.feature_names)
    reasons = pl.DataFrame(
        {
            "family_id": explanation.family_id,
            "reason_features": names[top].tolist(),
            "reason_contributions": np.take_along_axis(explanation.contributions, top, 1).tolist(),
        }
    )
    t_explain = time.perf_counter() - t3
    t4 = time.perf_counter()
    lists = listed.join(reasons, on="family_id", how="left").sort("district", "rank")
    out.mkdir(parents=True, exist_ok=True)
    lists.write_parquet(out / f"lists_{as_of.isoformat()}.parquet")
    t_store = time.perf_counter() - t4
    return {
        "families": features.height,
        "listed": lists.height,
        "districts": lists["district"].n_unique(),
        "load_s": t_load,
        "features_s": t_features,
        "score_s": t_score,
        "explain_s": t_explain,
        "store_s": t_store,
        "total_s": t_features + t_score + t_explain + t_store,
        "peak_mb": _peak_mb(),
        "dask": dask,
        "connect_s": t_connect,
        "peak_tree_mb": tree.stop_mb(),
    }


def _child(kind: str, data: Path, until: dt.date) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.scale",
            "--one",
            kind,
            "--data",
            str(data),
            "--until",
            until.isoformat(),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--until", default="2025-01-01")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--one", choices=["booster", "pipeline", "default"], default=None)
    parser.add_argument("--default-runs", type=int, default=0)
    parser.add_argument(
        "--default-until",
        default=None,
        help="cut-off of the default runs (out-of-time judging needs more history; "
        "default: --until)",
    )
    parser.add_argument("--monthly", type=Path, default=None)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--as-of", default="2025-01-01")
    parser.add_argument("--save-model", type=Path, default=None, help="with --one pipeline")
    parser.add_argument(
        "--dask", default=None, help="with --monthly: build the features on this cluster"
    )
    args = parser.parse_args()
    until = dt.date.fromisoformat(args.until)

    if args.monthly is not None:
        if args.model is None:
            parser.error("--monthly needs --model (a saved RiskModel directory)")
        with tempfile.TemporaryDirectory() as tmp:
            figures = _monthly(
                args.monthly,
                args.model,
                dt.date.fromisoformat(args.as_of),
                Path(tmp),
                dask=args.dask,
            )
        print(json.dumps(figures))
        return
    if args.data is None:
        parser.error("--data is required (a `patronage simulate` directory)")
    if args.one is not None:
        if args.one == "booster":
            print(json.dumps(_booster_alone(args.data, until)))
        else:
            default = args.one == "default"
            print(json.dumps(_pipeline(args.data, until, args.save_model, default=default)))
        return

    floors, pipelines = [], []
    for i in range(args.runs):
        floors.append(_child("booster", args.data, until))
        pipelines.append(_child("pipeline", args.data, until))
        print(f"run {i + 1}: booster alone {json.dumps(floors[-1])}")
        print(f"run {i + 1}: pipeline {json.dumps(pipelines[-1])}", flush=True)
    fit = statistics.median(f["fit_s"] for f in floors)
    floor_mb = statistics.median(f["peak_mb"] for f in floors)
    total = statistics.median(p["total_s"] for p in pipelines)
    peak = statistics.median(p["peak_mb"] for p in pipelines)
    print(
        f"\n{floors[0]['rows']:,} family-months x {floors[0]['features']} float32 features, "
        f"{args.runs} runs (medians)"
    )
    print(
        f"booster alone (fit_matrix on the float32 matrix): {fit:.1f} s, peak RSS "
        f"{floor_mb:,.0f} MB (with its grid {statistics.median(f['grid_s'] for f in floors):.1f} s)"
    )
    times = ", ".join(f"{p['total_s']:.1f}" for p in pipelines)
    peaks = ", ".join(f"{p['peak_mb']:,.0f}" for p in pipelines)
    print(
        f"whole pipeline (train): {total:.1f} s (runs {times}), peak RSS {peak:,.0f} MB "
        f"(runs {peaks})"
    )
    print(
        f"ratio pipeline / booster alone: time {total / fit:.1f}x, peak RSS {peak / floor_mb:.2f}x"
    )
    print(f"quality (held-out, last run): {json.dumps(pipelines[-1]['quality'])}")
    if args.default_runs:
        default_until = dt.date.fromisoformat(args.default_until or args.until)
        runs = [_child("default", args.data, default_until) for _ in range(args.default_runs)]
        for row in runs:
            print(f"default train: {json.dumps(row)}")
        print(
            f"default train at {default_until} (both candidates out of time, then the refit): "
            f"{statistics.median(r['total_s'] for r in runs):.1f} s, peak RSS "
            f"{statistics.median(r['peak_mb'] for r in runs):,.0f} MB, "
            f"champion {runs[-1]['family']}"
        )


if __name__ == "__main__":
    main()
