"""Benchmark of the pipeline on one machine and on a Dask cluster (figures in docs/scale.md).

Two measurements, each in a fresh Python (its peak memory is its own):

- `partition`: the grid (features + labels) of ONE partition of whole districts
  (`features.pipeline.partition`, the unit of work a Dask worker gets) for 1, 6 and 15 as-of
  dates: seconds and the memory the grid adds (peak RSS minus RSS after loading). These are
  the per-partition figures the national plan is extrapolated from.
- `train`: `experiments.training.train` (the whole pipeline: grid, booster, baselines,
  calibration, metrics, fairness audit; no records ceiling, no MLflow) on one machine and with
  `--dask` (a local cluster by default): seconds, the steps, held-out AUC and P@5%, and peak
  RSS of the whole process tree (client + scheduler + workers, sampled every 0.2 s).
- `backtest`: `experiments.backtest.backtest` (what `patronage backtest` runs) from `--from`
  over 1, 3, 6, 12 and 24 months (`--months`) with the saved model `--model`, on one machine
  (and with `--dask` when `--backtest-dask` is given): seconds, seconds per month and peak RSS
  of the process tree, to show how time and memory grow with the as-of dates.

Usage: `python -m benchmarks.scale_dask --data DIR [--what partition,train,backtest]
[--dask local:2] [--parts 8] [--until 2025-01-01] [--model DIR --from 2023-07 --months
1,3,6,12,24 --backtest-dask]`
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.common import run_child

_PARTITION = """
import datetime as dt, json, resource, sys, time
from pathlib import Path
import psutil
from experiments.data_source import load_source
from experiments.time_split import known_before
from features.months import months_before
from features.pipeline.grid import build_grid
from features.pipeline.partition import district_partitions

data, parts, n_dates, until = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
until = dt.date.fromisoformat(until)
events = known_before(load_source(data, purpose="benchmark").events, until)
part = district_partitions(events, parts=parts)[0]
del events
dates = [months_before(until, 7 + i) for i in range(n_dates)]
rss0 = psutil.Process().memory_info().rss
peak0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t = time.perf_counter()
grid = build_grid(part, as_of_dates=dates, horizon_months=6, known_before=until, float32=True)
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({
    "families": part.families.height, "districts": part.families["district"].n_unique(),
    "dates": n_dates, "rows": grid.height, "seconds": seconds,
    "grid_mb": grid.estimated_size() / 2**20,
    "added_peak_mb": (max(peak, peak0) - rss0) / 2**20,
}))
"""

#: Child-code prelude: the RSS of this process and its children (a local cluster's scheduler
#: and workers), and `watch_peak()`, which samples it every 0.2 s and returns a function that
#: stops the sampling and gives the peak.
_TREE_PEAK = """
import threading
import psutil

def tree_rss():
    me = psutil.Process()
    total = 0
    for p in [me, *me.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total

def watch_peak():
    peak, stop = [tree_rss()], threading.Event()
    def sample():
        while not stop.wait(0.2):
            peak[0] = max(peak[0], tree_rss())
    threading.Thread(target=sample, daemon=True).start()
    def finish():
        stop.set()
        return max(peak[0], tree_rss())
    return finish
"""

_TRAIN = (
    _TREE_PEAK
    + """
import datetime as dt, json, sys, time
from pathlib import Path

def main():
    from experiments.data_source import load_source
    from experiments.training import TrainingConfig, train
    data, until, dask = Path(sys.argv[1]), dt.date.fromisoformat(sys.argv[2]), sys.argv[3]
    events = load_source(data, purpose="benchmark").events
    peak = watch_peak()
    # the pipeline of issue 17: one booster judged on its held-out months
    config = TrainingConfig(until=until, candidates=("lightgbm",), judging="held_out")
    t = time.perf_counter()
    if dask == "none":
        result = train(events, config=config)
        extra = {}
    else:
        from experiments.distributed import connect
        with connect(dask) as cluster:
            t_connected = time.perf_counter() - t
            result = train(events, config=config, cluster=cluster)
            extra = {"connect_s": t_connected, "cluster": cluster.timings,
                     "booster": result.model.metadata_["dask"]}
    seconds = time.perf_counter() - t
    peak_rss = peak()
    m = result.metrics["model"]
    print(json.dumps({
        "dask": dask, "seconds": seconds, "timings": result.timings, **extra,
        "n_train": result.n_train, "n_valid": result.n_valid,
        "trees": result.model.best_iteration_, "auc": m["auc"],
        "precision_at_5pct": m["precision_at_5pct"],
        "precision_at_5pct_expected": m["precision_at_5pct_expected"],
        "fairness_passed": None if result.fairness_verdict is None
        else result.fairness_verdict.passed,
        "peak_tree_rss_mb": peak_rss / 2**20,
    }))

if __name__ == "__main__":
    main()
"""
)

_BACKTEST = (
    _TREE_PEAK
    + """
import json, sys, time
from pathlib import Path
from experiments.backtest import backtest
from experiments.data_source import load_source
from features.months import months_after, parse_month
from model.risk_model import RiskModel

data, model_dir, first, dask = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[5]
n = int(sys.argv[4])
events = load_source(data, purpose="benchmark").events
model = RiskModel.load(model_dir)
start = parse_month(first)
months = [months_after(start, i) for i in range(n)]
rss0 = tree_rss()
peak = watch_peak()
t = time.perf_counter()
if dask == "none":
    result = backtest(events, model=model, months=months)
else:
    from experiments.distributed import connect
    with connect(dask) as cluster:
        result = backtest(events, model=model, months=months, grid=cluster.grid)
seconds = time.perf_counter() - t
peak_rss = peak()
print(json.dumps({
    "dask": dask, "months": n, "family_months": sum(m.families for m in result.months),
    "seconds": seconds, "seconds_per_month": seconds / n,
    "rss_after_load_mb": rss0 / 2**20, "peak_tree_rss_mb": peak_rss / 2**20,
}))
"""
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--until", default="2025-01-01")
    parser.add_argument("--what", default="partition,train")
    parser.add_argument("--dask", default="local:2")
    parser.add_argument("--parts", type=int, default=8)
    parser.add_argument("--dates", default="1,6,15")
    parser.add_argument("--model", type=Path, default=None, help="for backtest: RiskModel dir")
    parser.add_argument("--from", dest="first", default="2023-07")
    parser.add_argument("--months", default="1,3,6,12,24")
    parser.add_argument("--backtest-dask", action="store_true")
    args = parser.parse_args()
    what = args.what.split(",")
    if "partition" in what:
        for n in (int(d) for d in args.dates.split(",")):
            row = run_child(_PARTITION, args.data, args.parts, n, args.until)
            print(json.dumps({"partition": row}), flush=True)
    if "train" in what:
        for dask in ("none", args.dask):
            row = run_child(_TRAIN, args.data, args.until, dask)
            print(json.dumps({"train": row}), flush=True)
    if "backtest" in what:
        if args.model is None:
            parser.error("backtest needs --model (a saved RiskModel directory)")
        for dask in ("none", *([args.dask] if args.backtest_dask else [])):
            for n in (int(m) for m in args.months.split(",")):
                row = run_child(_BACKTEST, args.data, args.model, args.first, n, dask)
                print(json.dumps({"backtest": row}), flush=True)


if __name__ == "__main__":
    main()
